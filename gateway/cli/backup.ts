// `canteen-edge backup --out FILE [--include-key]`: the data directory as one .tar.gz
// (gateway/ops/backup.ts), also while the gateway runs.
import { BackupError, createBackup } from '../ops/backup.ts';
import { biometricKeyFile } from '../ops/paths.ts';
import { ConfigError, configFileFrom, loadConfig, type LoadedConfig } from '../config/load.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, printJson, type Command } from './command.ts';

/** The config named by --config (or the default), or exit code 2 after printing its errors. */
export function loadConfigOrExit(values: Record<string, unknown>): LoadedConfig | number {
  const file = configFileFrom(values.config as string | undefined);
  try {
    return loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const i of err.issues) process.stderr.write(`config error: ${file}: ${i.path || '(top level)'}: ${i.message}\n`);
    return EXIT_USAGE;
  }
}

export const backup: Command = {
  words: ['backup'],
  summary: 'back up the data directory (SQLite online backup) to one .tar.gz',
  usage: [
    'canteen-edge backup --out FILE [--config FILE] [--include-key]',
    '  works while the gateway runs; the archive has a manifest (schema version, box id, time, sha256 of each file)',
    '  --include-key  also the biometric key: whoever has the archive can then decrypt the face templates',
  ].join('\n'),
  options: { out: { type: 'string' }, config: { type: 'string' }, 'include-key': { type: 'boolean' } },
  async run(values) {
    const out = values.out;
    if (typeof out !== 'string' || !out) throw new UsageError('--out FILE is required (e.g. --out /var/backups/canteen-edge-$(date +%F).tar.gz)');
    const config = loadConfigOrExit(values);
    if (typeof config === 'number') return config;
    const includeKey = values['include-key'] === true;
    const keyFile = biometricKeyFile(config);
    if (includeKey) process.stderr.write(`warning: --include-key puts the biometric key (${keyFile}) in the archive; whoever has it can decrypt the face templates. Keep it like the key itself.\n`);
    try {
      const r = await createBackup({ dataDir: config.paths.data_dir, modelsDir: config.paths.models_dir, keyFile, includeKey, out });
      process.stderr.write(`backed up ${r.manifest.files.length} files from ${config.paths.data_dir}${r.gatewayRunning ? ' (gateway running: online copy)' : ''} to ${r.file} (${r.bytes} bytes)\n`);
      printJson({ ok: true, gatewayRunning: r.gatewayRunning, file: r.file, bytes: r.bytes, sha256: r.sha256, dataDir: config.paths.data_dir, schemaVersion: r.manifest.schemaVersion, boxId: r.manifest.boxId, createdAt: r.manifest.createdAt, includesKey: r.manifest.includesKey, files: r.manifest.files });
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof BackupError) && !(err as NodeJS.ErrnoException).code) throw err;
      process.stderr.write(`canteen-edge backup: ${(err as Error).message}\n`);
      printJson({ ok: false, error: (err as Error).message });
      return EXIT_FAILED;
    }
  },
};
