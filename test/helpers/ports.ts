import net from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1, below the kernel's ephemeral range
 * (ip_local_port_range, 32768–60999 by default): a port from listen(0) comes from that range,
 * where the kernel also picks the local port of every outgoing connection, so another test's
 * client socket could take it before the gateway listened (EADDRINUSE seen in CI). Each vitest
 * worker hands out ports in turn from its own slice of the low range, so neither the same
 * worker (two picks in one config) nor another worker ever gets a port handed out already.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < SLICE_SIZE; attempt++) {
    const port = SLICE_FIRST + (next++ % SLICE_SIZE);
    if (await canListen(port)) return port;
  }
  return ephemeralPort();
}

const LOW_FIRST = 20_000;
const LOW_LAST = 32_700;
const SLICES = 8;
const SLICE_SIZE = Math.floor((LOW_LAST - LOW_FIRST + 1) / SLICES);
const SLICE_FIRST = LOW_FIRST + (Number(process.env.VITEST_POOL_ID ?? 0) % SLICES) * SLICE_SIZE;
/** a random start, so a worker of the next run does not retry the ports this one left in TIME_WAIT */
let next = Math.floor(Math.random() * SLICE_SIZE);

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A port P with P … P+count-1 all free a moment ago on 127.0.0.1 (for CANTEEN_EDGE_PORT and the simulators next to it). */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await freePort();
    if ((first - SLICE_FIRST) + count > SLICE_SIZE) continue; // a block never wraps out of the slice
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => canListen(first + 1 + i)));
    if (rest.every(Boolean)) {
      next += count - 1; // the block's other ports are handed out too
      return first;
    }
  }
  throw new Error(`no block of ${count} free ports found`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
