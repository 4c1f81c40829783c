import net from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1, below the kernel's ephemeral range
 * (ip_local_port_range, 32768–60999 by default). A port from listen(0) comes from that range,
 * where the kernel also picks the local port of every outgoing connection: on a busy run
 * another test's client socket could take it before the gateway listened (EADDRINUSE seen in CI).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW_FIRST + Math.floor(Math.random() * (LOW_LAST - LOW_FIRST + 1));
    if (await canListen(port)) return port;
  }
  return ephemeralPort();
}

const LOW_FIRST = 20_000;
const LOW_LAST = 32_700;

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
    if (first + count - 1 > LOW_LAST) continue;
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => canListen(first + 1 + i)));
    if (rest.every(Boolean)) return first;
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
