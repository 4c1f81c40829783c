// A models mirror on the site's network, as a test peer: node:http on 127.0.0.1 serving a
// directory with HTTP Range (like nginx or `python3 -m http.server` behind one), and the
// faults a real one has: a transfer cut after N bytes, a corrupted file, a short file.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';

export interface MirrorFaults {
  /** file → cut the connection after this many body bytes */
  cutAfter?: Record<string, number>;
  /** file → serve these bytes instead */
  replace?: Record<string, Buffer>;
}

export interface Served {
  file: string;
  range: string | null;
  status: number;
  bytes: number;
}

export interface TestMirror {
  url: string;
  served: Served[];
  faults: MirrorFaults;
  close(): Promise<void>;
}

export async function startMirror(dir: string, faults: MirrorFaults = {}): Promise<TestMirror> {
  const served: Served[] = [];
  const server: Server = createServer((req, res) => {
    const file = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const record = (status: number, bytes: number) => served.push({ file, range: req.headers.range ?? null, status, bytes });
    const full = path.join(dir, file);
    let body: Buffer | undefined = faults.replace?.[file];
    let size: number;
    if (body) size = body.length;
    else {
      try {
        const st = statSync(full);
        if (!st.isFile()) throw new Error('not a file');
        size = st.size;
      } catch {
        record(404, 0);
        res.writeHead(404).end('not found');
        return;
      }
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && Number(m[1]) < size) start = Number(m[1]);
    const length = size - start;
    res.writeHead(start ? 206 : 200, { 'content-length': length, 'accept-ranges': 'bytes', ...(start ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}) });
    const cut = faults.cutAfter?.[file];
    let sent = 0;
    const stream = body ? [body.subarray(start)] : createReadStream(full, { start, highWaterMark: 64 * 1024 });
    void (async () => {
      for await (const c of stream as AsyncIterable<Buffer>) {
        const chunk = cut !== undefined ? c.subarray(0, Math.max(0, cut - sent)) : c;
        if (chunk.length) {
          sent += chunk.length;
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        }
        if (cut !== undefined && sent >= cut) {
          record(start ? 206 : 200, sent);
          delete faults.cutAfter![file]; // the next request gets the rest
          // a FIN after the bytes written so far, short of content-length: the client reads every byte
          // sent and then sees the transfer cut (a reset could drop bytes still unread on a loaded box)
          await new Promise((r) => res.write('', () => r(undefined)));
          res.socket?.end();
          return;
        }
      }
      record(start ? 206 : 200, sent);
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
