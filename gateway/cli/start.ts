import { ConfigError, configFileFrom, loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { startService } from '../service.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Command } from './command.ts';

/** Shutdown must finish within 5 s (systemd's and the installer's expectation). */
export const SHUTDOWN_DEADLINE_MS = 4500;

export const start: Command = {
  words: ['start'],
  summary: 'run the gateway service',
  usage: 'canteen-edge start [--config FILE]\n  runs until SIGTERM or SIGINT; logs JSON lines on stdout',
  options: { config: { type: 'string' } },
  async run(values) {
    const file = configFileFrom(values.config as string | undefined);
    let config;
    try {
      config = loadConfig(file);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const i of err.issues) process.stderr.write(`config error: ${file}: ${i.path || '(top level)'}: ${i.message}\n`);
      return EXIT_USAGE;
    }
    const logger = createLogger(config.log.level);
    let service;
    try {
      service = await startService(config, logger);
    } catch (err) {
      logger.fatal({ err }, 'start failed');
      return EXIT_FAILED;
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'stopping');
    const deadline = setTimeout(() => {
      logger.error({ ms: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting anyway');
      process.exit(EXIT_FAILED);
    }, SHUTDOWN_DEADLINE_MS);
    await service.stop();
    clearTimeout(deadline);
    logger.info('stopped');
    return EXIT_OK;
  },
};
