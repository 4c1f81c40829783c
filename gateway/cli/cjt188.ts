// `canteen-edge cjt188 read`: reads the meter data (DI 901F) of one CJ/T 188 water or
// gas meter on a serial port (RS-485 adapter) or a transparent RS-485-to-Ethernet
// converter, for the installer with a laptop and the meter's nameplate number.
import { Cjt188Client, COLD_WATER, DEFAULT_LINE } from '../../drivers/cjt188/client.ts';
import { METER_TYPES, isValidAddress } from '../../drivers/cjt188/frame.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, intFlag, parseHostPort, printJson, type Command } from './command.ts';
import { openMeterLine } from './meter-line.ts';

const USAGE = `canteen-edge cjt188 read (--port PATH [--baud 2400] [--parity even|none|odd] | --tcp HOST:PORT)
        --address 14DIGITS|auto [--type HEX2] [--timeout MS] [--retries N]
  reads the meter data (DI 901F) of one CJ/T 188 water or gas meter; prints
  {"address": "78330011223344", "type": "10", "values": {"volume_total": {"value": 1234.56, "unit": "m3"}, …},
   "errors": {"<name>": "why"}}
  --type is the meter type T (default 10 = cold water; 11 hot water, 30 gas)
  --address auto asks the meter for its address (broadcast AAAAAAAAAAAAAA; only with one meter on the line)
  exit 0 when the meter answered, 1 when it did not or refused, 2 on a usage error`;

const POINTS = [
  { name: 'volume_total', field: 'volume_total', unit: 'm3' },
  { name: 'volume_settlement', field: 'volume_settlement', unit: 'm3' },
  { name: 'valve_closed', field: 'valve_closed', unit: '' },
  { name: 'valve_abnormal', field: 'valve_abnormal', unit: '' },
  { name: 'battery_low', field: 'battery_low', unit: '' },
] as const;

export const cjt188Read: Command = {
  words: ['cjt188', 'read'],
  summary: 'read the meter data of a CJ/T 188 water or gas meter',
  usage: USAGE,
  options: {
    port: { type: 'string' },
    baud: { type: 'string' },
    parity: { type: 'string' },
    tcp: { type: 'string' },
    address: { type: 'string' },
    type: { type: 'string' },
    timeout: { type: 'string' },
    retries: { type: 'string' },
  },
  async run(values) {
    const address = values.address as string | undefined;
    if (address === undefined) throw new UsageError('--address is required: expected 14 digits or auto');
    const auto = address.toLowerCase() === 'auto';
    if (!auto && !(isValidAddress(address) && /^[0-9]{14}$/.test(address))) throw new UsageError(`--address "${address}": expected 14 digits or auto`);
    const rawType = (values.type as string | undefined) ?? COLD_WATER.toString(16);
    if (!/^[0-9a-fA-F]{2}$/.test(rawType)) throw new UsageError(`--type "${rawType}": expected 2 hex digits, e.g. 10 (cold water) or 30 (gas)`);
    let type = Number.parseInt(rawType, 16);

    const { bus, description, timeoutMs, retries } = openMeterLine(values, DEFAULT_LINE);
    const client = new Cjt188Client(bus, { timeoutMs, retries });
    const hex2 = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();
    const doc: { address: string | null; type: string; values: Record<string, { value: number; unit: string }>; errors: Record<string, string> } = {
      address: auto ? null : address,
      type: hex2(type),
      values: {},
      errors: {},
    };
    const log = (line: string) => process.stderr.write(`${line}\n`);
    try {
      log(`cjt188: ${description}, timeout ${timeoutMs} ms, ${retries} retr${retries === 1 ? 'y' : 'ies'}`);
      if (auto) {
        try {
          const found = await client.readAddress();
          doc.address = found.address;
          type = found.type;
          doc.type = hex2(type);
          log(`cjt188: the meter on the line answers as ${found.address}, type ${doc.type} (${METER_TYPES[doc.type] ?? 'unknown type'})`);
        } catch (err) {
          const why = `address discovery failed: ${(err as Error).message}`;
          log(`cjt188: ${why}`);
          for (const p of POINTS) doc.errors[p.name] = why;
        }
      }
      if (doc.address !== null) {
        const read = await client.readPoints(type, doc.address, [...POINTS]);
        doc.values = read.values;
        doc.errors = read.errors;
        for (const p of POINTS) {
          const v = read.values[p.name];
          log(v ? `cjt188: ${p.name}: ${v.value} ${v.unit}` : `cjt188: ${p.name}: ${read.errors[p.name]}`);
        }
      }
    } finally {
      const c = bus.counters;
      const skipped = Object.entries(c.skipped).map(([k, n]) => `${k} ${n}`).join(', ');
      log(`cjt188: bus ${c.requests} requests, ${c.replies} replies, ${c.timeouts} timeouts${skipped ? `, skipped bytes: ${skipped}` : ''}`);
      await bus.close().catch(() => undefined);
    }
    printJson(doc);
    return Object.keys(doc.errors).length ? EXIT_FAILED : EXIT_OK;
  },
};
