// `canteen-edge restore --from FILE [--force]`: a backup back into the data directory
// (gateway/ops/restore.ts); refused while the gateway runs on it.
import { BackupError } from '../ops/backup.ts';
import { biometricKeyFile } from '../ops/paths.ts';
import { restoreBackup } from '../ops/restore.ts';
import { readMigrations } from '../store/sqlite.ts';
import { loadConfigOrExit } from './backup.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, printJson, type Command } from './command.ts';

export const restore: Command = {
  words: ['restore'],
  summary: 'restore a backup into the data directory (the gateway must be stopped)',
  usage: [
    'canteen-edge restore --from FILE [--config FILE] [--force]',
    '  checks every file against the manifest first; the old data directory is kept as <data_dir>.<time>.bak',
    '  --force  replace a data directory that already holds a database',
  ].join('\n'),
  options: { from: { type: 'string' }, config: { type: 'string' }, force: { type: 'boolean' } },
  async run(values) {
    const from = values.from;
    if (typeof from !== 'string' || !from) throw new UsageError('--from FILE is required (an archive made by canteen-edge backup)');
    const config = loadConfigOrExit(values);
    if (typeof config === 'number') return config;
    try {
      const r = await restoreBackup({
        from,
        dataDir: config.paths.data_dir,
        modelsDir: config.paths.models_dir,
        keyFile: biometricKeyFile(config),
        knownSchema: readMigrations().length,
        force: values.force === true,
      });
      process.stderr.write(`restored ${r.manifest.files.length} files (box ${r.manifest.boxId}, ${r.manifest.createdAt}) into ${r.dataDir}${r.keptAside ? `; the previous data directory is ${r.keptAside}` : ''}\n`);
      printJson({ ok: true, dataDir: r.dataDir, keptAside: r.keptAside, carriedOver: r.carriedOver, schemaVersion: r.manifest.schemaVersion, boxId: r.manifest.boxId, createdAt: r.manifest.createdAt, includesKey: r.manifest.includesKey, files: r.manifest.files.length });
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof BackupError) && !(err as NodeJS.ErrnoException).code) throw err;
      process.stderr.write(`canteen-edge restore: ${(err as Error).message}\n`);
      printJson({ ok: false, error: (err as Error).message });
      return EXIT_FAILED;
    }
  },
};
