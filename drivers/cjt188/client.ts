// A CJ/T 188-2004 master on a SharedBus: reads the meter data (DI 901FH) of water and
// gas meters by type and address, and the address of a lone meter with the broadcast
// address. Every exchange is one bus transaction, so Modbus RTU and DL/T 645 meters on
// the same RS-485 line get the line in between.
import { BusTimeout, type SharedBus } from '../serial/shared-bus.ts';
import { decodeMeterData, type MeterData, type MeterDataField } from './data.ts';
import { Cjt188Error } from './errors.ts';
import { ANY_TYPE, BROADCAST_ADDRESS, C_ABNORMAL, DI_METER_DATA, DI_READ_ADDRESS, Fn, decodeDi, decodeFrame, encodeDi, encodeFrame, isValidAddress, replyScanner, type Cjt188Frame } from './frame.ts';

export { Cjt188Error } from './errors.ts';

/** CJ/T 188 meters on RS-485: 2400 baud 8E1 (CJ/T 188-2004 §4). */
export const DEFAULT_LINE = { baudRate: 2400, dataBits: 8, parity: 'even', stopBits: 1 } as const;
/** T = 10H: cold water meter (CJ/T 188-2004 Table 1). */
export const COLD_WATER = 0x10;

export interface Cjt188ClientOptions {
  /** per transaction (default 1000 ms) */
  timeoutMs?: number;
  /** re-sends after a timeout (default 1) */
  retries?: number;
}

export interface Cjt188Point {
  name: string;
  field: MeterDataField;
  unit: string;
}

/** The same shape as drivers/modbus/meter-reader.ts MeterRead. */
export interface Cjt188Read {
  values: Record<string, { value: number; unit: string }>;
  errors: Record<string, string>;
  requests: number;
}

export class Cjt188Client {
  readonly timeoutMs: number;
  readonly retries: number;
  /** SER, the sequence number the meter echoes: a late reply to an earlier request carries another */
  private ser = 0;

  constructor(
    readonly bus: SharedBus,
    opts: Cjt188ClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retries = opts.retries ?? 1;
  }

  /** Reads DI 901F (current and settlement-day cumulative flow, clock, status). */
  async readData(type: number, address: string, tally = { requests: 0 }): Promise<MeterData> {
    if (!isValidAddress(address)) throw new Cjt188Error(`bad address "${address}": expected 14 digits`, 'usage');
    const reply = await this.exchange({ type, address, control: Fn.READ_DATA, data: this.diSer(DI_METER_DATA) }, tally, 'meter data (DI 901F)');
    return decodeMeterData(reply.data.subarray(3));
  }

  /**
   * The type and address of the only meter on the line: read-address (C = 03H, DI 810AH)
   * to the broadcast address AAAAAAAAAAAAAA with type AAH. With several meters on the
   * line they answer at once: use it with one meter connected.
   */
  async readAddress(): Promise<{ type: number; address: string }> {
    const reply = await this.exchange({ type: ANY_TYPE, address: BROADCAST_ADDRESS, control: Fn.READ_ADDRESS, data: this.diSer(DI_READ_ADDRESS) }, { requests: 0 }, 'read address');
    return { type: reply.type, address: reply.address };
  }

  /** The profile's points of one meter; a meter that does not answer fails every point with the reason. */
  async readPoints(type: number, address: string, points: Cjt188Point[]): Promise<Cjt188Read> {
    const out: Cjt188Read = { values: {}, errors: {}, requests: 0 };
    try {
      const data = await this.readData(type, address, out);
      for (const p of points) {
        const v = data[p.field];
        if (p.field.startsWith('volume') && p.unit !== 'm3') {
          if (p.unit !== 'L') out.errors[p.name] = `the meter reports m3; cannot report it in ${p.unit}`;
          else out.values[p.name] = { value: Number((v * 1000).toFixed(2)), unit: 'L' };
        } else out.values[p.name] = { value: v, unit: p.unit };
      }
    } catch (err) {
      for (const p of points) out.errors[p.name] = (err as Error).message;
    }
    return out;
  }

  private diSer(di: string): Buffer {
    this.ser = (this.ser + 1) & 0xff;
    return Buffer.concat([encodeDi(di), Buffer.from([this.ser])]);
  }

  private async exchange(request: Cjt188Frame, tally: { requests: number }, what: string): Promise<Cjt188Frame> {
    const bytes = encodeFrame(request);
    const scan = replyScanner(request);
    for (let attempt = 0; ; attempt++) {
      tally.requests += 1;
      let reply: Cjt188Frame;
      try {
        reply = decodeFrame(await this.bus.transact(bytes, scan, this.timeoutMs));
      } catch (err) {
        if (err instanceof BusTimeout) {
          if (attempt < this.retries) continue;
          throw new Cjt188Error(`meter ${request.address} did not answer ${what}: ${err.message}${attempt ? ` (${attempt + 1} tries)` : ''}`, 'timeout');
        }
        if (err instanceof Cjt188Error) throw err;
        throw new Cjt188Error((err as Error).message, 'io');
      }
      if (reply.control & C_ABNORMAL) {
        // abnormal reply: SER then the status ST (CJ/T 188-2004 §6.3)
        const st = reply.data.length >= 3 ? reply.data.subarray(reply.data.length - 2).toString('hex').toUpperCase() : reply.data.toString('hex').toUpperCase();
        throw new Cjt188Error(`meter ${reply.address} refused ${what} (abnormal reply, status ${st || 'none'})`, 'abnormal');
      }
      if (reply.data.length < 3 || decodeDi(reply.data) !== decodeDi(request.data)) {
        throw new Cjt188Error(`reply to ${what} carries DI ${reply.data.length >= 2 ? decodeDi(reply.data) : 'none'}`, 'protocol');
      }
      return reply;
    }
  }
}
