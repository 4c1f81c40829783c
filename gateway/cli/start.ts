import { ConfigError, configFileFrom, loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { terminalLogStream } from '../log-terminal.ts';
import { DataDirError, prepareDataDir } from '../ops/data-dir.ts';
import { DataDirLocked, lockDataDir, type DataDirLock } from '../ops/lock.ts';
import { PortInUse } from '../ops/port-in-use.ts';
import { removePidFile, writePidFile } from '../ops/running.ts';
import { ConfigReloader } from '../reload.ts';
import { startService } from '../service.ts';
import { armBlockLoopHook } from '../systemd/block-loop-hook.ts';
import { createSystemdNotifier } from '../systemd/notify.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Command } from './command.ts';

/** Shutdown must finish within 5 s (systemd's and the installer's expectation). */
export const SHUTDOWN_DEADLINE_MS = 4500;

export const start: Command = {
  words: ['start'],
  summary: 'run the gateway service',
  usage: 'canteen-edge start [--config FILE]\n  runs until SIGTERM or SIGINT; logs readable lines on a terminal, JSON lines otherwise (CANTEEN_EDGE_LOG_FORMAT=json|pretty), on stdout; SIGHUP reloads the config (what can change live)',
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
    // One gateway per data directory: the lock is taken before anything is opened
    // (not even the pid file, which a refused second start used to delete); only a
    // write probe and a mode check of the directory come first.
    const dataDir = config.paths.data_dir;
    try {
      // exists and takes writes (one line naming it otherwise, not an EROFS stack); touches nothing a running gateway owns
      prepareDataDir(dataDir);
    } catch (err) {
      if (!(err instanceof DataDirError)) throw err;
      process.stderr.write(`canteen-edge: cannot start: ${err.message}\n`);
      return EXIT_FAILED;
    }
    let lock: DataDirLock;
    try {
      lock = lockDataDir(dataDir, 'gateway');
    } catch (err) {
      if (err instanceof DataDirLocked) {
        process.stderr.write(`canteen-edge start: ${err.message}; refusing to start a second gateway on it (stop the other one, or give this one its own paths.data_dir)\n`);
      } else {
        process.stderr.write(`canteen-edge start: cannot create or lock the data directory ${dataDir} (paths.data_dir): ${(err as Error).message}\n`);
      }
      return EXIT_FAILED;
    }
    // readable lines on a terminal, JSON for the journal and pipes
    const logger = createLogger(config.log.level, terminalLogStream(config.site.timezone));
    const systemd = createSystemdNotifier(logger);
    armBlockLoopHook(logger);
    // SIGHUP would end the process by default; until the service runs there is nothing to reload.
    let onHup = () => logger.warn('SIGHUP during start-up ignored; send it again once started');
    const hup = () => onHup();
    process.on('SIGHUP', hup);
    // informative (which pid and port hold the lock); the lock itself is what restore checks
    const startedAt = Date.now();
    writePidFile(dataDir, { pid: process.pid, port: null, startedAt });
    let service;
    try {
      service = await startService(config, logger);
    } catch (err) {
      removePidFile(dataDir);
      lock.release();
      if (err instanceof PortInUse) {
        process.stderr.write(`${err.line(file)}\n`);
        await systemd.stopping(err.message);
        return EXIT_FAILED;
      }
      logger.fatal({ err }, 'start failed');
      await systemd.stopping(`start failed: ${(err as Error).message}`);
      return EXIT_FAILED;
    }
    writePidFile(dataDir, { pid: process.pid, port: service.port, startedAt });
    const reloader = new ConfigReloader(config, { logger, site: service.site, auth: service.auth });
    onHup = () => {
      void reloader.reload();
      // models installed or replaced by `canteen-edge models pull`: picked up without a restart
      service.reloadModels().catch((err: unknown) => logger.error({ err }, 'model reload failed'));
    };
    systemd.ready(`listening on port ${service.port}`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'stopping');
    const told = systemd.stopping(`stopping on ${signal}`);
    const deadline = setTimeout(() => {
      logger.error({ ms: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting anyway');
      process.exit(EXIT_FAILED);
    }, SHUTDOWN_DEADLINE_MS);
    await service.stop();
    process.off('SIGHUP', hup);
    removePidFile(dataDir);
    lock.release();
    await told;
    clearTimeout(deadline);
    logger.info('stopped');
    return EXIT_OK;
  },
};
