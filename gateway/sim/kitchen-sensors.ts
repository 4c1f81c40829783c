// Simulated sunshine-kitchen sensors: one Modbus TCP server (modbus-serial's ServerTCP)
// answering for three units like common RS-485 transmitters behind a Modbus gateway —
// unit 1 a fridge and unit 2 a freezer (holding 0: humidity ×0.1 %, holding 1:
// temperature ×0.1 °C as int16, discrete input 0: the door contact), unit 3 a
// disinfection cabinet (coil 0: running 15 minutes from half past every hour).
// The values drift a little and the fridge door opens for a minute now and then.
import { ServerTCP } from 'modbus-serial';

export interface KitchenSensorsSimOptions {
  host: string;
  port: number;
  now?: () => number;
}

interface Room {
  temperature: number;
  humidity: number;
  target: number;
  door: boolean;
}

export class KitchenSensorsSim {
  private server: ServerTCP | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly rooms: Record<number, Room> = {
    1: { temperature: 4.2, humidity: 62, target: 4, door: false },
    2: { temperature: -18.3, humidity: 55, target: -18, door: false },
  };

  constructor(private readonly opts: KitchenSensorsSimOptions) {
    this.now = opts.now ?? Date.now;
  }

  get port(): number {
    return this.opts.port;
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    const illegal = () => Object.assign(new Error('illegal data address'), { modbusErrorCode: 0x02 });
    const reg = (addr: number, unit: number) => {
      const r = this.rooms[unit];
      if (!r || addr > 1) throw illegal();
      const v = Math.round((addr === 0 ? r.humidity : r.temperature) * 10);
      return v < 0 ? v + 0x10000 : v;
    };
    const vector = {
      getHoldingRegister: reg,
      getInputRegister: reg,
      getDiscreteInput: (addr: number, unit: number) => {
        const r = this.rooms[unit];
        if (!r || addr !== 0) throw illegal();
        return r.door;
      },
      getCoil: (addr: number, unit: number) => {
        if (unit !== 3 || addr !== 0) throw illegal();
        const minute = new Date(this.now()).getUTCMinutes();
        return minute >= 30 && minute < 45;
      },
    };
    const server = new ServerTCP(vector as never, { host: this.opts.host, port: this.opts.port, unitID: 255 });
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

  private tick(): void {
    const second = Math.floor(this.now() / 1000);
    for (const r of Object.values(this.rooms)) {
      r.temperature += (r.target - r.temperature) * 0.05 + (Math.random() - 0.5) * 0.1;
      r.humidity = Math.max(30, Math.min(90, r.humidity + (Math.random() - 0.5) * 0.4));
    }
    // the fridge door: open for 40 s every 10 minutes (loading), which warms it a little
    const fridge = this.rooms[1]!;
    fridge.door = second % 600 < 40;
    if (fridge.door) fridge.temperature += 0.05;
  }
}
