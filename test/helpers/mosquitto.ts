// A real Mosquitto broker for tests: its own temp config and persistence
// directory, listening on a free loopback port. It can be stopped (SIGTERM: the
// broker writes its persistence file, as on a clean shutdown), killed (SIGKILL:
// what was not saved is lost) and started again on the same port with the same
// persistence, so sessions and queued messages survive a clean restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.ts';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export class Mosquitto {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** everything the broker logged, across restarts */
  log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  /**
   * Starts a broker on a free loopback port with a fresh temp config and
   * persistence directory. `extraConfig` lines go last (another `listener` and
   * its TLS settings, say); `dir` is the broker's directory, for files they name.
   */
  static async start(opts: { allowAnonymous?: boolean; extraConfig?: (dir: string) => string[] } = {}): Promise<Mosquitto> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-mosquitto-'));
    const port = await freePort();
    const conf = [
      `listener ${port} 127.0.0.1`,
      `allow_anonymous ${opts.allowAnonymous ?? true}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'persistence_file mosquitto.db',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'log_timestamp false',
      // started as root, Mosquitto would switch to the `mosquitto` user and could not write the temp directory
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      ...(opts.extraConfig?.(dir) ?? []),
    ];
    writeFileSync(path.join(dir, 'mosquitto.conf'), conf.join('\n') + '\n');
    const broker = new Mosquitto(port, dir);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** (Re)starts the broker on its port; resolves once it is listening. */
  async start(): Promise<void> {
    if (this.child) throw new Error('mosquitto is already running');
    const child = spawn(MOSQUITTO_BIN, ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    const from = this.log.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('mosquitto did not start within 10 s')), 10_000);
      const onData = (d: Buffer) => {
        this.log += d.toString();
        // the listeners are open before the broker says it is running
        if (/mosquitto version \S+ running/.test(this.log.slice(from))) done();
      };
      const onExit = (code: number | null) => fail(new Error(`mosquitto exited with ${code} while starting`));
      const onError = (err: Error) => fail(err);
      const cleanup = () => {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      function done() {
        cleanup();
        resolve();
      }
      function fail(err: Error) {
        cleanup();
        reject(err);
      }
      child.stderr!.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    }).catch((err: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${err.message}; mosquitto log:\n${this.log.slice(from)}`);
    });
  }

  /** Stops the broker: SIGTERM saves the persistence file first; SIGKILL loses what was not saved. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT'); // a paused broker would not act on SIGTERM
    child.kill(signal);
    await this.exited;
    this.child = undefined;
  }

  /** Freezes the broker (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the broker and deletes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
