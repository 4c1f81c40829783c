// Finds the unit ids that answer on a line: a one-register read to each; an
// exception reply proves a device too (except 0x0A/0x0B, which a Modbus TCP
// gateway sends for a device behind it that did not answer).
import { ModbusError, type ModbusClient, type RegisterFunction } from './client.ts';

export interface ScanOptions {
  from?: number;
  to?: number;
  timeoutMs?: number;
  fn?: RegisterFunction;
  register?: number;
  onProbe?: (unit: number, found: boolean) => void;
}

export async function scanUnits(client: ModbusClient, opts: ScanOptions = {}): Promise<number[]> {
  const found: number[] = [];
  for (let unit = opts.from ?? 1; unit <= (opts.to ?? 247); unit++) {
    let present = false;
    try {
      await client.readRegisters(unit, opts.fn ?? 'holding', opts.register ?? 0, 1, opts.timeoutMs === undefined ? undefined : { timeoutMs: opts.timeoutMs });
      present = true;
    } catch (err) {
      const code = err instanceof ModbusError ? err.exceptionCode : undefined;
      present = code !== undefined && code !== 10 && code !== 11;
    }
    if (present) found.push(unit);
    opts.onProbe?.(unit, present);
  }
  return found;
}
