// A process that ingests records into the real outbox as fast as it can and
// forwards them to the province simulator, printing `ACK <id>` for each record
// once its append resolved (durable). The crash test kills it with SIGKILL at
// random moments and starts it again on the same data directory.
// `outage N` appends N records while the receiver is down, printing the
// process's resident memory as the backlog grows, then waits for the drain.
// usage: node --import tsx outbox-producer.ts DATA_DIR PROVINCE_PORT produce|drain|outage [N]
import { Forwarder } from '../../gateway/outbox/forwarder.ts';
import { Outbox } from '../../gateway/outbox/outbox.ts';
import type { Stream } from '../../gateway/wire/streams.ts';
import { openDatabase } from '../../gateway/store/sqlite.ts';
import { HttpUplink } from '../../gateway/uplink/http.ts';

const [dataDir, port, mode, count] = process.argv.slice(2) as [string, string, 'produce' | 'drain' | 'outage', string?];
const streams: Stream[] = ['readings', 'intervals', 'transactions'];
const outbox = new Outbox(openDatabase(dataDir), 'crashbox');
const uplink = new HttpUplink({ id: 'province', url: `http://127.0.0.1:${port}/ingest/{stream}`, streams, timeoutMs: 2000, boxId: 'crashbox', token: 'tok', hmacKey: 'key' });
const forwarder = new Forwarder(outbox, uplink, { batchSize: mode === 'outage' ? 2000 : 200, minBackoffMs: 20, maxBackoffMs: 200, offlineAfterMs: 1000 });
forwarder.start();
process.stdout.write('READY\n');

if (mode === 'produce') {
  let k = 0;
  for (;;) {
    const batch = Array.from({ length: 60 }, () => {
      const stream = streams[k % 3]!;
      return outbox.append(stream, { pid: process.pid, k: k++ });
    });
    const done = await Promise.all(batch);
    process.stdout.write(done.map((r) => `ACK ${r.id}\n`).join(''));
  }
} else if (mode === 'outage') {
  const total = Number(count);
  const pad = 'x'.repeat(80);
  for (let n = 0; n < total; ) {
    const chunk = Array.from({ length: Math.min(5000, total - n) }, (_, i) => outbox.append(streams[(n + i) % 3]!, { n: n + i, pad }));
    await Promise.all(chunk);
    n += chunk.length;
    if (n % (total / 10) === 0) {
      global.gc?.();
      process.stdout.write(`RSS ${n} ${process.memoryUsage().rss}\n`);
    }
  }
  process.stdout.write('FILLED\n');
  while (!streams.every((s) => outbox.backlog('province', s) === 0)) await new Promise((r) => setTimeout(r, 200));
  process.stdout.write(`RSS drained ${process.memoryUsage().rss}\n`);
  await forwarder.stop();
  process.stdout.write('DRAINED\n');
  process.exit(0);
} else {
  while (!streams.every((s) => outbox.backlog('province', s) === 0)) await new Promise((r) => setTimeout(r, 50));
  await forwarder.stop();
  const held = outbox.held().filter((h) => streams.includes(h.stream));
  process.stdout.write(`DRAINED ${JSON.stringify(Object.fromEntries(held.map((h) => [h.stream, h.nextSeq - 1])))}\n`);
  process.exit(0);
}
