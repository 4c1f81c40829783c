// The province simulator as its own process (`canteen-edge sim province`), so that
// it outlives the gateways a test kills; its HTTP control and report endpoints.
import { spawn } from 'node:child_process';
import { BIN, ROOT } from './gateway.ts';

export interface ProvinceProcess {
  port: number;
  url: string;
  /** record ids the simulator took on a stream (de-duplicated) */
  ids(stream: string): Promise<Set<string>>;
  report(): Promise<{ streams: Record<string, { unique: number; duplicates: number; gaps: number; outOfOrder: number; maxSeq: number }> }>;
  /** ok, error (status), hang, slow (delayMs), reset */
  fault(mode: Record<string, unknown>): Promise<void>;
  stop(): void;
}

export function startProvince(opts: { token?: string; hmacKey?: string } = {}): Promise<ProvinceProcess> {
  const args = [BIN, 'sim', 'province', '--port', '0', '--token', opts.token ?? 'tok', '--hmac-key', opts.hmacKey ?? 'key'];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      let port: number;
      try {
        port = JSON.parse(out).http.port;
      } catch {
        return; // not the whole document yet
      }
      const url = `http://127.0.0.1:${port}`;
      resolve({
        port,
        url,
        ids: async (stream) => new Set((await (await fetch(`${url}/ids/${stream}`)).json()) as string[]),
        report: async () => (await fetch(`${url}/report`)).json() as never,
        fault: async (mode) => {
          const r = await fetch(`${url}/control`, { method: 'POST', body: JSON.stringify(mode) });
          if (!r.ok) throw new Error(`sim control ${JSON.stringify(mode)}: ${r.status} ${await r.text()}`);
        },
        stop: () => void child.kill('SIGTERM'),
      });
    });
    child.once('exit', (code) => reject(new Error(`sim province exited ${code}`)));
  });
}

/** A small seeded generator (mulberry32): the same seed gives the same fault schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
