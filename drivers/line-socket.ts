// A TCP connection that delivers complete text lines and reconnects with backoff
// when the peer goes away: the transport for indicators and converters that
// stream ASCII. Over-long lines are dropped and reported, never buffered forever.
import net from 'node:net';
import { EventEmitter } from 'node:events';

export interface LineSocketOptions {
  host: string;
  port: number;
  maxLineBytes?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface LineSocketEvents {
  line: [line: string];
  overlong: [bytes: number];
  connected: [];
  disconnected: [reason: string];
}

export class LineSocket extends EventEmitter<LineSocketEvents> {
  private socket: net.Socket | undefined;
  private buffer = '';
  private backoffMs: number;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: LineSocketOptions) {
    super();
    this.backoffMs = opts.minBackoffMs ?? 250;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const sock = this.socket;
    if (!sock || sock.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      sock.once('close', () => resolve());
      sock.destroy();
    });
  }

  private connect(): void {
    const sock = net.createConnection({ host: this.opts.host, port: this.opts.port });
    this.socket = sock;
    sock.setEncoding('latin1');
    sock.setKeepAlive(true, 5000);
    let reason = 'closed by peer';
    sock.on('connect', () => {
      this.backoffMs = this.opts.minBackoffMs ?? 250;
      this.buffer = '';
      this.emit('connected');
    });
    sock.on('data', (chunk: string) => this.receive(chunk));
    sock.on('error', (err) => (reason = err.message));
    sock.on('close', () => {
      if (this.stopped) return;
      this.emit('disconnected', reason);
      this.retry = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r?\n|\r/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) if (line.length) this.emit('line', line);
    const max = this.opts.maxLineBytes ?? 256;
    if (this.buffer.length > max) {
      this.emit('overlong', this.buffer.length);
      this.buffer = '';
    }
  }
}
