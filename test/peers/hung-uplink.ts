// Run with `node --expose-gc --import tsx`: sends one batch through the HTTP uplink
// to a server that never answers, forces garbage collections meanwhile, and prints
// how it ended. On Node 20 a timeout made with AbortSignal.any + AbortSignal.timeout
// is collected away and the request hangs for good (HUNG); an own timer is not (TIMEOUT).
import http from 'node:http';
import { HttpUplink } from '../../gateway/uplink/http.ts';

const TIMEOUT_MS = 300;
const server = http.createServer(() => {}); // takes the request, never answers
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const uplink = new HttpUplink({ id: 'hung', url: `http://127.0.0.1:${port}/ingest/{stream}`, streams: ['readings'], timeoutMs: TIMEOUT_MS, boxId: 'gcbox' });
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const collect = setInterval(gc, 20);
const t0 = Date.now();
const outcome = await Promise.race([
  uplink
    .send('readings', [{ stream: 'readings', seq: 1, id: 'gcbox:readings:1', at: t0, json: '{}' }], 'b1', new AbortController().signal)
    .then(() => 'ANSWERED', (err: Error) => `TIMEOUT ${Date.now() - t0} ${err.message}`),
  new Promise<string>((r) => setTimeout(() => r('HUNG'), 20 * TIMEOUT_MS)),
]);
clearInterval(collect);
console.log(outcome);
server.closeAllConnections();
server.close();
