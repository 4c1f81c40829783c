// A DL/T 645-2007 master on a SharedBus: reads DIs from meters by address, follows
// multi-frame replies, discovers the address of a lone meter and broadcasts the time.
// The bus may carry other protocols (Modbus RTU) too: every exchange is one bus
// transaction, so other devices get the line between frames.
import { BusTimeout, type SharedBus } from '../serial/shared-bus.ts';
import { decodeDi, decodeValue, diFormat, encodeDi, isValidDi, rawHex, type DiFormat } from './di.ts';
import { Dlt645Error, errReason } from './errors.ts';
import {
  BROADCAST_ADDRESS,
  C_ABNORMAL,
  C_MORE,
  Fn,
  WILDCARD_ADDRESS,
  decodeAddress,
  decodeFrame,
  encodeAddress,
  encodeFrame,
  replyScanner,
  type Dlt645Frame,
} from './frame.ts';

export { Dlt645Error } from './errors.ts';

/** Default line of DL/T 645-2007 meters. */
export const DEFAULT_LINE = { baudRate: 2400, dataBits: 8, parity: 'even', stopBits: 1 } as const;

export interface Dlt645ClientOptions {
  /** per transaction, from sending the request (default 1000 ms) */
  timeoutMs?: number;
  /** re-sends after a timeout before giving up (default 1) */
  retries?: number;
  /** send FE FE FE FE before each request (default true) */
  preamble?: boolean;
  /** most follow-up frames followed for one DI (default 32) */
  maxFollowUps?: number;
}

export interface Dlt645Value {
  value: number;
  unit: string;
  /** all values of a block DI (total, tariff 1 …) */
  elements?: number[];
}

export interface Dlt645Point {
  name: string;
  di: string;
  /** unit to report; kW↔W, kWh↔Wh, A↔mA are converted, default the DI's own unit */
  unit?: string;
  /** overrides of the DI's format (e.g. `signed` for a meter that differs), or a format for a DI not in the table */
  format?: Partial<Omit<DiFormat, 'di'>>;
}

/** The same shape as drivers/modbus/meter-reader.ts MeterRead. */
export interface Dlt645Read {
  values: Record<string, Dlt645Value>;
  errors: Record<string, string>;
  /** bus transactions used (follow-ups and retries included) */
  requests: number;
}

interface Tally {
  requests: number;
}

const CONVERSIONS: Record<string, number> = {
  'kW>W': 1000,
  'W>kW': 0.001,
  'kWh>Wh': 1000,
  'Wh>kWh': 0.001,
  'A>mA': 1000,
  'mA>A': 0.001,
};

export class Dlt645Client {
  readonly timeoutMs: number;
  readonly retries: number;
  private readonly preamble: boolean;
  private readonly maxFollowUps: number;

  constructor(
    readonly bus: SharedBus,
    opts: Dlt645ClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retries = opts.retries ?? 1;
    this.preamble = opts.preamble ?? true;
    this.maxFollowUps = opts.maxFollowUps ?? 32;
  }

  /** Reads one DI and decodes it with the DI table (or `format`). */
  async read(address: string, di: string, format?: Partial<Omit<DiFormat, 'di'>>): Promise<Dlt645Value> {
    return this.readWith(address, di, format, undefined, { requests: 0 });
  }

  /** Reads one DI's data (all frames, after the DI) without decoding it. */
  async readData(address: string, di: string): Promise<Buffer> {
    return this.readRaw(address, di, { requests: 0 });
  }

  /** The address of the only meter on the bus (0x13 to AAAAAAAAAAAA). */
  async readAddress(): Promise<string> {
    const reply = await this.exchange({ address: WILDCARD_ADDRESS, control: Fn.READ_ADDRESS, data: Buffer.alloc(0) }, { requests: 0 }, 'address');
    if (reply.control & C_ABNORMAL) throw abnormal(reply);
    if (reply.data.length < 6) throw new Dlt645Error(`read-address reply carries ${reply.data.length} bytes, expected 6`, 'protocol');
    const fromData = decodeAddress(reply.data);
    if (fromData !== reply.address) {
      throw new Dlt645Error(`read-address reply names ${fromData} in its data but comes from ${reply.address}`, 'protocol');
    }
    return fromData;
  }

  /**
   * Sets every meter's clock (0x08 to 999999999999; meters do not answer). DL/T 645
   * meters keep local time: `utcOffsetMinutes` defaults to China's +08:00.
   */
  async broadcastTime(at: Date = new Date(), utcOffsetMinutes = 480): Promise<void> {
    const t = new Date(at.getTime() + utcOffsetMinutes * 60_000);
    const bcd = (n: number) => ((Math.floor(n / 10) << 4) | n % 10) & 0xff;
    // ss mm hh DD MM YY, lowest byte first
    const data = Buffer.from([t.getUTCSeconds(), t.getUTCMinutes(), t.getUTCHours(), t.getUTCDate(), t.getUTCMonth() + 1, t.getUTCFullYear() % 100].map(bcd));
    await this.bus.send(encodeFrame({ address: BROADCAST_ADDRESS, control: Fn.BROADCAST_TIME, data }, { preamble: this.preamble }));
  }

  /**
   * Reads points from one meter; a failed point fails alone. When the meter does not
   * answer at all (timeout or a dead line), the points after it are not tried, so a
   * dead meter costs one timeout (plus retries) per poll rather than one per point.
   */
  async readPoints(address: string, points: Dlt645Point[]): Promise<Dlt645Read> {
    const out: Dlt645Read = { values: {}, errors: {}, requests: 0 };
    let silent: string | undefined;
    for (const p of points) {
      if (silent) {
        out.errors[p.name] = `not tried: ${silent}`;
        continue;
      }
      try {
        out.values[p.name] = await this.readWith(address, p.di, p.format, p.unit, out);
      } catch (err) {
        const message = (err as Error).message;
        out.errors[p.name] = message;
        if (err instanceof Dlt645Error && (err.kind === 'timeout' || err.kind === 'io')) silent = message;
      }
    }
    return out;
  }

  private async readWith(address: string, di: string, override: Partial<Omit<DiFormat, 'di'>> | undefined, unit: string | undefined, tally: Tally): Promise<Dlt645Value> {
    const known = diFormat(di);
    const format = known ? { ...known, ...override } : completeFormat(di, override);
    const data = await this.readRaw(address, di, tally);
    if (!format) throw new Dlt645Error(`unknown DI format; raw ${rawHex(data)}`, 'unknown-di', { di, raw: rawHex(data) });
    const decoded = decodeValue(format, data);
    const out: Dlt645Value = { value: decoded.value, unit: format.unit };
    if (decoded.elements) out.elements = decoded.elements;
    if (unit !== undefined && unit !== format.unit) {
      const f = CONVERSIONS[`${format.unit}>${unit}`];
      if (f === undefined) throw new Dlt645Error(`${di} is in ${format.unit || '(no unit)'}, cannot report it in ${unit}`, 'usage', { di });
      const round = (v: number) => Number((v * f).toFixed(Math.max(0, format.decimals + 3)));
      out.value = round(out.value);
      if (out.elements) out.elements = out.elements.map(round);
      out.unit = unit;
    }
    return out;
  }

  private async readRaw(address: string, di: string, tally: Tally): Promise<Buffer> {
    if (!isValidDi(di)) throw new Dlt645Error(`bad DI "${di}": expected 8 hex digits`, 'usage');
    encodeAddress(address); // validates
    const diBytes = encodeDi(di);
    let reply = await this.exchange({ address, control: Fn.READ, data: diBytes }, tally, di);
    if (reply.control & C_ABNORMAL) throw abnormal(reply);
    checkDi(reply, di);
    const parts = [reply.data.subarray(4)];
    for (let seq = 1; reply.control & C_MORE; seq++) {
      if (seq > this.maxFollowUps) throw new Dlt645Error(`${di}: meter ${address} still has more frames after ${this.maxFollowUps} follow-ups`, 'protocol', { di });
      reply = await this.exchange({ address, control: Fn.READ_FOLLOW_UP, data: Buffer.concat([diBytes, Buffer.from([seq & 0xff])]) }, tally, `${di} frame ${seq + 1}`);
      if (reply.control & C_ABNORMAL) throw abnormal(reply, ` to follow-up frame ${seq + 1}`);
      checkDi(reply, di);
      if (reply.data.length < 5) throw new Dlt645Error(`${di}: follow-up frame ${seq + 1} has no sequence byte`, 'protocol', { di });
      const got = reply.data[reply.data.length - 1]!;
      if (got !== (seq & 0xff)) throw new Dlt645Error(`${di}: follow-up frame carries sequence ${got}, asked ${seq & 0xff}`, 'protocol', { di });
      parts.push(reply.data.subarray(4, reply.data.length - 1));
    }
    return Buffer.concat(parts);
  }

  /** One request, its reply (re-sent after a timeout up to `retries` times). */
  private async exchange(request: Dlt645Frame, tally: Tally, what: string): Promise<Dlt645Frame> {
    const bytes = encodeFrame(request, { preamble: this.preamble });
    const scan = replyScanner(request);
    for (let attempt = 0; ; attempt++) {
      tally.requests += 1;
      try {
        return decodeFrame(await this.bus.transact(bytes, scan, this.timeoutMs));
      } catch (err) {
        if (err instanceof BusTimeout) {
          if (attempt < this.retries) continue;
          const tries = attempt + 1;
          throw new Dlt645Error(`meter ${request.address} did not answer ${what}: ${err.message}${tries > 1 ? ` (${tries} tries)` : ''}`, 'timeout');
        }
        if (err instanceof Dlt645Error) throw err;
        throw new Dlt645Error((err as Error).message, 'io');
      }
    }
  }
}

function abnormal(reply: Dlt645Frame, context = ''): Dlt645Error {
  const err = reply.data[0];
  if (err === undefined) return new Dlt645Error(`abnormal reply${context} without an ERR byte`, 'abnormal');
  return new Dlt645Error(`abnormal reply${context}: ${errReason(err)}`, 'abnormal', { err });
}

function checkDi(reply: Dlt645Frame, di: string): void {
  if (reply.data.length < 4) throw new Dlt645Error(`reply to ${di} carries no DI`, 'protocol', { di });
  const got = decodeDi(reply.data);
  if (got !== di.toUpperCase()) throw new Dlt645Error(`asked ${di}, reply is for ${got}`, 'protocol', { di });
}

/** A format for a DI outside the table, when a point gives at least bytes and decimals. */
function completeFormat(di: string, f: Partial<Omit<DiFormat, 'di'>> | undefined): DiFormat | undefined {
  if (!f || f.bytes === undefined || f.decimals === undefined) return undefined;
  return { di: di.toUpperCase(), name: f.name ?? `DI ${di.toUpperCase()}`, unit: f.unit ?? '', bytes: f.bytes, decimals: f.decimals, signed: f.signed ?? false, ...(f.block ? { block: true } : {}) };
}
