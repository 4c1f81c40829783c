// One Modbus client per line, whatever the transport.
import type { SerialSettings } from '../serial/byte-stream.ts';
import type { ModbusClient } from './client.ts';
import { RtuClient, rtuOverTcpBus, serialBus } from './rtu-client.ts';
import { ModbusTcpClient } from './tcp-client.ts';

export type ModbusTransport =
  | { type: 'tcp'; host: string; port: number }
  /** RTU frames through a transparent RS-485-to-Ethernet converter; lineBaud is its RS-485 side (default 9600), for t3.5 */
  | { type: 'rtu-over-tcp'; host: string; port: number; lineBaud?: number }
  | ({ type: 'serial' } & SerialSettings);

export interface ClientOptions {
  timeoutMs: number;
  /** silence between transactions (RTU: on top of t3.5) */
  interRequestDelayMs?: number;
}

/** A client that owns its line. To share an RS-485 line with DL/T 645, make the SharedBus yourself (serialBus) and wrap it in an RtuClient. */
export function createModbusClient(t: ModbusTransport, opts: ClientOptions): ModbusClient {
  switch (t.type) {
    case 'tcp':
      return new ModbusTcpClient({ host: t.host, port: t.port, timeoutMs: opts.timeoutMs, interRequestDelayMs: opts.interRequestDelayMs });
    case 'rtu-over-tcp':
      return new RtuClient(rtuOverTcpBus(t.host, t.port, { lineBaud: t.lineBaud, interRequestDelayMs: opts.interRequestDelayMs }), { timeoutMs: opts.timeoutMs, ownsBus: true });
    case 'serial': {
      const { type: _, ...settings } = t;
      return new RtuClient(serialBus({ ...settings, interRequestDelayMs: opts.interRequestDelayMs }), { timeoutMs: opts.timeoutMs, ownsBus: true });
    }
  }
}
