// A simulated canteen main meter: a real Modbus TCP server (modbus-serial's
// ServerTCP) answering FC04 with the Eastron SDM630 register map, its values
// moving like a kitchen's load through the day. Used by the default config so
// the whole read path — TCP, MBAP, planner, decoding — runs without hardware.
import { ServerTCP } from 'modbus-serial';
import { encodeValue, registerCount } from '../../drivers/modbus/decode.ts';
import type { MeterProfile } from '../../drivers/modbus/profile.ts';

export interface EnergyMeterSimOptions {
  host: string;
  port: number;
  unitId: number;
  baseLoadKw: number;
  initialEnergyKwh: number;
  profile: MeterProfile;
  /** hours in Asia/Shanghai, for the daily load shape */
  now?: () => number;
}

/** Relative load of a canteen kitchen by local hour: cooking peaks before meals. */
export function canteenLoadShape(hour: number): number {
  const peak = (centre: number, width: number, height: number) => height * Math.exp(-(((hour - centre) / width) ** 2));
  return 0.35 + peak(7, 0.8, 0.5) + peak(11, 1.2, 1.3) + peak(17.3, 1.2, 1.1);
}

export class EnergyMeterSim {
  private server: ServerTCP | undefined;
  private readonly image = new Uint16Array(0x200);
  private timer: NodeJS.Timeout | undefined;
  private energyKwh: number;
  private lastAt: number;
  private noise = 0;
  private readonly volts = [230.4, 229.8, 231.1];
  private readonly now: () => number;

  constructor(private readonly opts: EnergyMeterSimOptions) {
    this.now = opts.now ?? Date.now;
    this.energyKwh = opts.initialEnergyKwh;
    this.lastAt = this.now();
  }

  async start(): Promise<void> {
    this.tick();
    this.timer = setInterval(() => this.tick(), 250);
    this.timer.unref();
    const vector = {
      getInputRegister: (addr: number) => this.register(addr),
      getMultipleInputRegisters: (addr: number, length: number) => Array.from({ length }, (_, i) => this.register(addr + i)),
      getHoldingRegister: (addr: number) => this.register(addr),
      getMultipleHoldingRegisters: (addr: number, length: number) => Array.from({ length }, (_, i) => this.register(addr + i)),
    };
    const server = new ServerTCP(vector as never, { host: this.opts.host, port: this.opts.port, unitID: this.opts.unitId });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', resolve);
      server.once('serverError', reject);
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private register(addr: number): number {
    if (addr >= this.image.length) throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 0x02 });
    return this.image[addr]!;
  }

  /** Moves the simulated values on and writes them into the register image. */
  private tick(): void {
    const at = this.now();
    const hour = ((at / 3_600_000 + 8) % 24 + 24) % 24; // Asia/Shanghai is UTC+8, no DST
    this.noise = Math.max(-0.08, Math.min(0.08, this.noise + (Math.random() - 0.5) * 0.02));
    const totalW = this.opts.baseLoadKw * 1000 * canteenLoadShape(hour) * (1 + this.noise);
    this.energyKwh += (totalW / 1000) * ((at - this.lastAt) / 3_600_000);
    this.lastAt = at;
    const split = [0.36, 0.33, 0.31];
    const pf = 0.92 + this.noise / 4;
    const values: Record<string, number> = {
      power_total: totalW,
      power_factor: pf,
      frequency: 50 + (Math.random() - 0.5) * 0.04,
      energy_import: this.energyKwh,
      energy_export: 0,
      energy_total: this.energyKwh,
    };
    this.volts.forEach((v, i) => {
      const volts = Math.max(215, Math.min(245, v + (Math.random() - 0.5) * 0.4));
      this.volts[i] = volts;
      const phaseW = totalW * split[i]!;
      values[`voltage_l${i + 1}`] = volts;
      values[`power_l${i + 1}`] = phaseW;
      values[`current_l${i + 1}`] = phaseW / (volts * pf);
    });
    for (const p of this.opts.profile.points) {
      const v = values[p.name];
      if (v === undefined) continue;
      const words = encodeValue((v - p.offset) / p.scale, p.type, p.order);
      for (let i = 0; i < registerCount(p.type); i++) this.image[p.register + i] = words.readUInt16BE(i * 2);
    }
  }
}
