// A TCP proxy in front of a real peer (a Mosquitto broker) that can make the
// connections open now go silent: silence() keeps them open but forwards nothing
// either way from then on — a broker that stopped answering, or a NAT that forgot the
// flow, while the client's socket still looks connected. Connections made after it
// pass normally, so a client that reconnects gets through.
import net from 'node:net';

export class SilentProxy {
  private readonly live = new Set<{ client: net.Socket; upstream: net.Socket; silent: boolean }>();
  /** connections accepted so far */
  connections = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<SilentProxy> {
    let proxy: SilentProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client, targetPort));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = new SilentProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** Every connection open now forwards nothing from here on (bytes read and dropped, nothing closed). */
  silence(): number {
    for (const c of this.live) c.silent = true;
    return this.live.size;
  }

  async close(): Promise<void> {
    for (const c of this.live) {
      c.client.destroy();
      c.upstream.destroy();
    }
    await new Promise((r) => this.server.close(r));
  }

  private accept(client: net.Socket, targetPort: number): void {
    this.connections += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const c = { client, upstream, silent: false };
    this.live.add(c);
    client.on('data', (d) => void (c.silent || upstream.write(d)));
    upstream.on('data', (d) => void (c.silent || client.write(d)));
    const end = () => {
      this.live.delete(c);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  }
}
