// Frames of the building-energy monitoring upload (JGJ/T 285 family):
//
//   55 AA 55 AA | length u32 | sequence u32 | AES-128-CBC(XML) | CRC16 | 68 68 16 16
//
// From the project's domain notes (DOMAIN.md): length and sequence u32
// little-endian, AES-128-CBC with zero padding, CRC16-CCITT (poly 0x1021, init 0,
// no reflection, no final xor — the "XMODEM" variant) over sequence + cipher.
// Not fixed there, so our defaults and options: the length counts sequence +
// cipher; the CRC is written little-endian like the other fields; the IV is 16
// zero bytes. Provinces differ in these details, so each is an option
// (FramingOptions). Every message is encrypted with the same key and IV, as the
// protocol family does it: confidentiality is weak, the TCP link should run over
// a VPN or private APN where the platform allows.
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const MAGIC = Buffer.from([0x55, 0xaa, 0x55, 0xaa]);
export const TRAILER = Buffer.from([0x68, 0x68, 0x16, 0x16]);
const BLOCK = 16;

export type ByteOrder = 'le' | 'be';

export interface FramingOptions {
  /** byte order of the length field */
  lengthByteOrder: ByteOrder;
  /** byte order of the sequence field */
  sequenceByteOrder: ByteOrder;
  /** byte order of the two CRC bytes */
  crcByteOrder: ByteOrder;
  /** what the length field counts */
  lengthCovers: 'seq+cipher' | 'cipher' | 'seq+cipher+crc';
  /** the bytes the CRC is computed over */
  crcScope: 'seq+cipher' | 'cipher' | 'len+seq+cipher';
  /** zero padding (no extra block when the XML already fills whole blocks; NULs stripped on decrypt) or PKCS#7 */
  padding: 'zero' | 'pkcs7';
  /** a frame announcing more is treated as a corrupt length */
  maxFrameBytes: number;
  /** encoding of the XML text: UTF-8, or UTF-16 little-endian (Ningbo 2018, DOMAIN.md) */
  text: 'utf-8' | 'utf-16le';
}

export const DEFAULT_FRAMING: FramingOptions = {
  lengthByteOrder: 'le',
  sequenceByteOrder: 'le',
  crcByteOrder: 'le',
  lengthCovers: 'seq+cipher',
  crcScope: 'seq+cipher',
  padding: 'zero',
  maxFrameBytes: 4 * 1024 * 1024,
  text: 'utf-8',
};

const CRC_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC16-CCITT, poly 0x1021, MSB first, no final xor; init 0 is the XMODEM variant ("123456789" → 0x31C3). */
export function crc16ccitt(data: Uint8Array, init = 0): number {
  let crc = init & 0xffff;
  for (const byte of data) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/**
 * A 16-byte AES key (or IV) from config: 32 hex digits, or text that is exactly
 * 16 bytes in UTF-8. Anything else is an error naming `what`.
 */
export function parseKey16(text: string, what: string): Buffer {
  if (/^[0-9a-fA-F]{32}$/.test(text)) return Buffer.from(text, 'hex');
  const raw = Buffer.from(text, 'utf8');
  if (raw.length === BLOCK) return raw;
  throw new Error(`${what}: got ${raw.length} bytes; expected 16 bytes as text, or 32 hex digits`);
}

/** The IV convention: 'zero' (16 zero bytes, the default), 'key' (the IV is the key), or an explicit 16-byte value. */
export function resolveIv(iv: string | undefined, key: Buffer): Buffer {
  if (iv === undefined || iv === 'zero') return Buffer.alloc(BLOCK);
  if (iv === 'key') return Buffer.from(key);
  return parseKey16(iv, 'aes_iv');
}

export type DecodeEvent =
  | { kind: 'frame'; seq: number; xml: string }
  | { kind: 'error'; reason: 'length' | 'trailer' | 'crc' | 'decrypt'; detail: string };

export interface DecoderCounters {
  frames: number;
  badLength: number;
  badTrailer: number;
  badCrc: number;
  badDecrypt: number;
  /** bytes skipped while looking for the magic */
  skippedBytes: number;
}

export class FrameCodec {
  readonly opts: FramingOptions;

  constructor(
    private readonly key: Buffer,
    private readonly iv: Buffer,
    opts: Partial<FramingOptions> = {},
  ) {
    if (key.length !== BLOCK || iv.length !== BLOCK) throw new Error('AES-128 needs a 16-byte key and IV');
    this.opts = { ...DEFAULT_FRAMING, ...opts };
  }

  encrypt(plain: Buffer): Buffer {
    const c = createCipheriv('aes-128-cbc', this.key, this.iv);
    if (this.opts.padding === 'pkcs7') return Buffer.concat([c.update(plain), c.final()]);
    c.setAutoPadding(false);
    const padded = Buffer.alloc(Math.ceil(plain.length / BLOCK) * BLOCK || BLOCK);
    plain.copy(padded);
    return Buffer.concat([c.update(padded), c.final()]);
  }

  decrypt(cipher: Buffer): Buffer {
    const d = createDecipheriv('aes-128-cbc', this.key, this.iv);
    if (this.opts.padding === 'pkcs7') return Buffer.concat([d.update(cipher), d.final()]);
    d.setAutoPadding(false);
    const plain = Buffer.concat([d.update(cipher), d.final()]);
    let end = plain.length;
    // UTF-16: only whole NUL characters are padding ('>' is 3E 00)
    if (this.opts.text === 'utf-16le') while (end > 1 && plain[end - 1] === 0 && plain[end - 2] === 0) end -= 2;
    else while (end > 0 && plain[end - 1] === 0) end--;
    return plain.subarray(0, end);
  }

  /** One complete frame carrying `xml` (UTF-8) with sequence number `seq`. */
  encode(seq: number, xml: string): Buffer {
    const o = this.opts;
    const cipher = this.encrypt(Buffer.from(xml, this.opts.text === 'utf-16le' ? 'utf16le' : 'utf8'));
    const head = Buffer.alloc(12);
    MAGIC.copy(head, 0);
    writeU32(head, 4, lengthFor(cipher.length, o), o.lengthByteOrder);
    writeU32(head, 8, seq >>> 0, o.sequenceByteOrder);
    const crc = Buffer.alloc(2);
    const c = crc16ccitt(crcInput(head, cipher, o));
    if (o.crcByteOrder === 'le') crc.writeUInt16LE(c);
    else crc.writeUInt16BE(c);
    return Buffer.concat([head, cipher, crc, TRAILER]);
  }

  decoder(): FrameDecoder {
    return new FrameDecoder(this);
  }
}

/**
 * Turns a TCP byte stream into frames: finds the magic, waits for the whole frame,
 * checks length, trailer and CRC. Bytes before a magic are skipped; a frame with a
 * bad length or trailer gives up one byte and resynchronises on the next magic; a
 * structurally whole frame with a bad CRC is dropped entirely.
 */
export class FrameDecoder {
  readonly counters: DecoderCounters = { frames: 0, badLength: 0, badTrailer: 0, badCrc: 0, badDecrypt: 0, skippedBytes: 0 };
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly codec: FrameCodec) {}

  /** bytes held waiting for the rest of a frame */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): DecodeEvent[] {
    const o = this.codec.opts;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: DecodeEvent[] = [];
    for (;;) {
      const at = this.buf.indexOf(MAGIC);
      if (at < 0) {
        // keep what could be the start of a magic split across chunks
        const keep = Math.min(this.buf.length, MAGIC.length - 1);
        this.counters.skippedBytes += this.buf.length - keep;
        this.buf = this.buf.subarray(this.buf.length - keep);
        return out;
      }
      if (at > 0) {
        this.counters.skippedBytes += at;
        this.buf = this.buf.subarray(at);
      }
      if (this.buf.length < 12) return out;
      const len = readU32(this.buf, 4, o.lengthByteOrder);
      const cipherLen = len - (o.lengthCovers === 'cipher' ? 0 : 4) - (o.lengthCovers === 'seq+cipher+crc' ? 2 : 0);
      const total = 12 + cipherLen + 2 + TRAILER.length;
      if (cipherLen <= 0 || cipherLen % BLOCK !== 0 || total > o.maxFrameBytes) {
        this.counters.badLength += 1;
        out.push({ kind: 'error', reason: 'length', detail: `length field ${len} gives ${cipherLen} cipher bytes` });
        this.skip(1);
        continue;
      }
      if (this.buf.length < total) return out;
      if (!this.buf.subarray(total - TRAILER.length, total).equals(TRAILER)) {
        this.counters.badTrailer += 1;
        out.push({ kind: 'error', reason: 'trailer', detail: `no 68 68 16 16 after ${cipherLen} cipher bytes` });
        this.skip(1);
        continue;
      }
      const head = this.buf.subarray(0, 12);
      const cipher = this.buf.subarray(12, 12 + cipherLen);
      const got = o.crcByteOrder === 'le' ? this.buf.readUInt16LE(12 + cipherLen) : this.buf.readUInt16BE(12 + cipherLen);
      const want = crc16ccitt(crcInput(head, cipher, o));
      const seq = readU32(this.buf, 8, o.sequenceByteOrder);
      if (got !== want) {
        this.counters.badCrc += 1;
        out.push({ kind: 'error', reason: 'crc', detail: `frame ${seq}: CRC ${hex4(got)}, computed ${hex4(want)}` });
        this.skip(total);
        continue;
      }
      let xml: string;
      try {
        xml = this.codec.decrypt(Buffer.from(cipher)).toString(o.text === 'utf-16le' ? 'utf16le' : 'utf8');
      } catch (err) {
        this.counters.badDecrypt += 1;
        out.push({ kind: 'error', reason: 'decrypt', detail: `frame ${seq}: ${(err as Error).message}` });
        this.skip(total);
        continue;
      }
      this.counters.frames += 1;
      out.push({ kind: 'frame', seq, xml });
      this.skip(total);
    }
  }

  private skip(n: number): void {
    this.buf = this.buf.subarray(n);
  }
}

function lengthFor(cipherLen: number, o: FramingOptions): number {
  if (o.lengthCovers === 'cipher') return cipherLen;
  return 4 + cipherLen + (o.lengthCovers === 'seq+cipher+crc' ? 2 : 0);
}

function crcInput(head: Buffer, cipher: Buffer, o: FramingOptions): Buffer {
  if (o.crcScope === 'cipher') return cipher;
  return Buffer.concat([head.subarray(o.crcScope === 'len+seq+cipher' ? 4 : 8, 12), cipher]);
}

function readU32(b: Buffer, at: number, order: ByteOrder): number {
  return order === 'le' ? b.readUInt32LE(at) : b.readUInt32BE(at);
}

function writeU32(b: Buffer, at: number, v: number, order: ByteOrder): void {
  if (order === 'le') b.writeUInt32LE(v, at);
  else b.writeUInt32BE(v, at);
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
}
