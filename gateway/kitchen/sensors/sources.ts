// Reading one sensor: a Modbus RTU/TCP transmitter (temperature, humidity, a door or
// running contact) or a DS18B20 on 1-Wire. A read either gives plausible numbers or is
// refused with a reason that is counted — garbled frames, failed CRCs, values no sensor
// of the kind can give — so nothing unreadable ever becomes a number on the board.
import { ModbusError, type ModbusClient } from '../../../drivers/modbus/client.ts';
import { createModbusClient, type ModbusTransport } from '../../../drivers/modbus/connect.ts';
import { readDs18b20 } from '../../../drivers/w1/ds18b20.ts';
import type { ColdRoomConfig, DisinfectionConfig, ModbusTransportConfig } from './config.ts';

/** One plausible reading; a field is absent when the sensor has no such channel. */
export interface SensorSample {
  temperature?: number;
  humidity?: number;
  /** door open / appliance running */
  on?: boolean;
}

export class SensorRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Plausible for an air temperature in a kitchen, a cold room or a freezer (°C); beyond it the sensor is broken or the frame wrong. */
const TEMP_RANGE = [-60, 80] as const;

export interface SensorReader {
  read(): Promise<SensorSample>;
  close(): Promise<void>;
  /** bus-level counters (CRC errors seen on an RTU line…) */
  counters(): Record<string, number>;
}

function transportOf(t: ModbusTransportConfig): ModbusTransport {
  if (t.type === 'tcp') return { type: 'tcp', host: t.host, port: t.port };
  if (t.type === 'rtu-over-tcp') return { type: 'rtu-over-tcp', host: t.host, port: t.port, lineBaud: t.line_baud };
  return { type: 'serial', path: t.path, baudRate: t.baud, parity: t.parity, stopBits: t.stop_bits, dataBits: 8 };
}

function modbusReason(err: unknown): SensorRefusal {
  if (err instanceof SensorRefusal) return err;
  if (err instanceof ModbusError) return new SensorRefusal(err.timeout ? 'no-answer' : err.exceptionCode !== undefined ? 'exception' : 'error', err.message);
  return new SensorRefusal('error', (err as Error).message);
}

function modbusReader(source: Extract<ColdRoomConfig['source'] | DisinfectionConfig['source'], { type: 'modbus' }>): SensorReader {
  let client: ModbusClient | undefined;
  const get = () => (client ??= createModbusClient(transportOf(source.transport), { timeoutMs: source.timeout_ms }));
  const register = async (p: { function: 'input' | 'holding'; address: number; type: 'int16' | 'uint16'; scale: number }) => {
    const buf = await get().readRegisters(source.unit_id, p.function, p.address, 1);
    const raw = p.type === 'int16' ? buf.readInt16BE(0) : buf.readUInt16BE(0);
    return Math.round(raw * p.scale * 1000) / 1000;
  };
  const bit = async (p: { function: 'discrete' | 'coils'; address: number; on_when: boolean }) => (await get().readBits(source.unit_id, p.function, p.address, 1))[0] === p.on_when;
  return {
    async read() {
      try {
        const out: SensorSample = {};
        if ('temperature' in source) {
          out.temperature = await register(source.temperature);
          if (out.temperature < TEMP_RANGE[0] || out.temperature > TEMP_RANGE[1]) throw new SensorRefusal('out-of-range', `temperature ${out.temperature} °C is outside ${TEMP_RANGE[0]}…${TEMP_RANGE[1]} °C`);
          if (source.humidity) {
            out.humidity = await register(source.humidity);
            if (out.humidity < 0 || out.humidity > 100) throw new SensorRefusal('out-of-range', `humidity ${out.humidity} % is outside 0…100 %`);
          }
          if (source.door) out.on = await bit(source.door);
        } else {
          out.on = await bit(source.input);
        }
        return out;
      } catch (err) {
        throw modbusReason(err);
      }
    },
    close: async () => {
      await client?.close();
      client = undefined;
    },
    counters: () => {
      const c = client?.counters as unknown as Record<string, unknown> | undefined;
      return Object.fromEntries(Object.entries(c ?? {}).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    },
  };
}

function w1Reader(source: Extract<ColdRoomConfig['source'], { type: 'w1' }>): SensorReader {
  return {
    async read() {
      let r;
      try {
        r = await readDs18b20(source.device, source.dir);
      } catch (err) {
        throw new SensorRefusal('no-device', `1-Wire probe ${source.device} not found (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (!r.ok) throw new SensorRefusal(r.reason, r.detail);
      return { temperature: r.celsius };
    },
    close: async () => {},
    counters: () => ({}),
  };
}

export function sensorReader(source: ColdRoomConfig['source'] | Extract<DisinfectionConfig['source'], { type: 'modbus' }>): SensorReader {
  return source.type === 'w1' ? w1Reader(source) : modbusReader(source);
}
