// A Modbus weight transmitter, polled through drivers/modbus (Modbus TCP, RTU on
// a serial port, RTU through a transparent converter). The Modbus client only
// reads, so zero and tare are done on the transmitter itself.
import { ModbusError, type ModbusClient } from '../modbus/client.ts';
import { ScaleNotSupported, ScaleDriverBase, type DriverOptions } from './driver.ts';
import { decodeWeight, hasStableBit, planWeightReads, type RegisterBlock, type WeightRegisterMap } from './modbus-weight.ts';

export interface ModbusScaleOptions extends Omit<DriverOptions, 'protocol'> {
  client: ModbusClient;
  registers: WeightRegisterMap;
  replyTimeoutMs: number;
  /** close the client on stop (when nothing else uses it) */
  ownsClient?: boolean;
}

const READ_ONLY = 'the Modbus client only reads registers: zero and tare on the transmitter';

export class ModbusScale extends ScaleDriverBase {
  readonly hasStableFlag: boolean;
  private readonly blocks: RegisterBlock[];

  constructor(private readonly mopts: ModbusScaleOptions) {
    super({ ...mopts, protocol: 'modbus' });
    this.hasStableFlag = hasStableBit(mopts.registers);
    this.blocks = planWeightReads(mopts.registers);
    if (!this.blocks.length) throw new Error('modbus scale: registers needs net or gross');
  }

  get description(): string {
    return `${this.mopts.client.description} unit ${this.mopts.registers.unit_id}`;
  }

  protected begin(): void {}

  protected async end(): Promise<void> {
    if (this.mopts.ownsClient !== false) await this.mopts.client.close().catch(() => undefined);
  }

  protected override async poll(): Promise<void> {
    const map = this.mopts.registers;
    const read: { start: number; data: Buffer }[] = [];
    try {
      for (const b of this.blocks) {
        read.push({ start: b.start, data: await this.mopts.client.readRegisters(map.unit_id, map.function, b.start, b.count, { timeoutMs: this.mopts.replyTimeoutMs }) });
      }
    } catch (err) {
      if (err instanceof ModbusError && err.timeout) {
        this.counters.timeouts += 1;
      } else if (err instanceof ModbusError && err.exceptionCode !== undefined) {
        this.counters.refused += 1;
        this.contact(); // it answered
      } else {
        // the port or the connection is gone: lost at once, not after the silence
        this.lose(`${this.description}: ${(err as Error).message}`);
      }
      throw err;
    }
    if (this.state !== 'connected') this.opened(); // the client (re)connects by itself: count contacts
    const r = decodeWeight(map, read);
    if (!r) {
      this.garble(read.map((b) => b.data.toString('hex')).join(' '), 'weight register is not a number');
      return;
    }
    this.deliver(r);
  }

  override zero(): Promise<void> {
    return Promise.reject(new ScaleNotSupported('zero', 'modbus', READ_ONLY));
  }

  override tare(): Promise<number | undefined> {
    return Promise.reject(new ScaleNotSupported('tare', 'modbus', READ_ONLY));
  }

  override presetTare(_grams: number): Promise<void> {
    return Promise.reject(new ScaleNotSupported('preset tare', 'modbus', READ_ONLY));
  }

  override clearTare(): Promise<void> {
    return Promise.reject(new ScaleNotSupported('clear tare', 'modbus', READ_ONLY));
  }
}
