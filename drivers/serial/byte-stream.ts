// A byte stream to a bus: a serial port (RS-485 adapter) or a TCP socket to a
// transparent RS-485-to-Ethernet converter. Both look the same to the protocols.
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';

export interface ByteStreamEvents {
  data: [chunk: Buffer];
  close: [reason: string];
}

export interface ByteStream extends EventEmitter<ByteStreamEvents> {
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

export type Parity = 'none' | 'even' | 'odd';

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits?: 7 | 8;
  parity?: Parity;
  stopBits?: 1 | 2;
}

/** Bits on the wire per character: start + data + parity + stop. */
export function bitsPerChar(s: Pick<SerialSettings, 'dataBits' | 'parity' | 'stopBits'>): number {
  return 1 + (s.dataBits ?? 8) + (s.parity && s.parity !== 'none' ? 1 : 0) + (s.stopBits ?? 1);
}

export class SerialByteStream extends EventEmitter<ByteStreamEvents> implements ByteStream {
  private port: SerialPort | undefined;

  constructor(readonly settings: SerialSettings) {
    super();
  }

  get description(): string {
    const s = this.settings;
    return `${s.path} ${s.baudRate} ${s.dataBits ?? 8}${(s.parity ?? 'none')[0]!.toUpperCase()}${s.stopBits ?? 1}`;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  open(): Promise<void> {
    const s = this.settings;
    return new Promise((resolve, reject) => {
      const port = new SerialPort(
        { path: s.path, baudRate: s.baudRate, dataBits: s.dataBits ?? 8, parity: s.parity ?? 'none', stopBits: s.stopBits ?? 1, autoOpen: false },
      );
      port.on('data', (chunk: Buffer) => this.emit('data', chunk));
      port.on('close', () => this.emit('close', `${s.path} closed`));
      port.on('error', () => undefined); // reported through open/write results and close
      port.open((err) => {
        if (err) return reject(new Error(err.message.includes(s.path) ? err.message : `cannot open ${s.path}: ${err.message}`));
        this.port = port;
        resolve();
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new Error(`${this.settings.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(data, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
    });
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}

export class TcpByteStream extends EventEmitter<ByteStreamEvents> implements ByteStream {
  private socket: net.Socket | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly connectTimeoutMs = 3000,
  ) {
    super();
  }

  get description(): string {
    return `tcp://${this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return !!this.socket && !this.socket.destroyed && this.socket.readyState === 'open';
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ host: this.host, port: this.port });
      sock.setNoDelay(true);
      const timer = setTimeout(() => sock.destroy(new Error(`connect timed out after ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        this.socket = sock;
        resolve();
      });
      sock.once('error', (err) => {
        clearTimeout(timer);
        if (this.socket !== sock) reject(new Error(`cannot connect to ${this.host}:${this.port}: ${err.message}`));
      });
      sock.on('data', (chunk) => this.emit('data', chunk));
      sock.on('close', () => {
        if (this.socket === sock) this.socket = undefined;
        this.emit('close', `${this.description} closed`);
      });
    });
  }

  write(data: Buffer): Promise<void> {
    const sock = this.socket;
    if (!sock || sock.destroyed) return Promise.reject(new Error(`${this.description} is not connected`));
    return new Promise((resolve, reject) => sock.write(data, (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    const sock = this.socket;
    this.socket = undefined;
    if (!sock || sock.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      sock.once('close', () => resolve());
      sock.destroy();
    });
  }
}
