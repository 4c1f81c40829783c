import { ConfigError, configFileFrom, loadConfig } from '../config/load.ts';
import { EXIT_OK, EXIT_USAGE, printJson, type Command } from './command.ts';

export const configCheck: Command = {
  words: ['config', 'check'],
  summary: 'validate a config file',
  usage: 'canteen-edge config check [--config FILE]\n  prints {"ok": true} or {"ok": false, "errors": [{"path", "message"}]}; exit 2 when invalid',
  options: { config: { type: 'string' } },
  async run(values) {
    const file = configFileFrom(values.config as string | undefined);
    try {
      loadConfig(file);
      printJson({ ok: true, file });
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      printJson({ ok: false, file, errors: err.issues });
      for (const i of err.issues) process.stderr.write(`${file}: ${i.path || '(top level)'}: ${i.message}\n`);
      return EXIT_USAGE;
    }
  },
};
