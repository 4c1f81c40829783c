// `canteen-edge dlt645 read`: reads DIs from one DL/T 645-2007 meter on a serial
// port (RS-485 adapter) or a transparent RS-485-to-Ethernet converter, for the
// installer with a laptop and the meter's nameplate address.
import { Dlt645Client, DEFAULT_LINE } from '../../drivers/dlt645/client.ts';
import { diFormat, isValidDi } from '../../drivers/dlt645/di.ts';
import { isValidAddress } from '../../drivers/dlt645/frame.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, intFlag, parseHostPort, printJson, type Command } from './command.ts';
import { openMeterLine } from './meter-line.ts';

const USAGE = `canteen-edge dlt645 read (--port PATH [--baud 2400] [--parity even] | --tcp HOST:PORT)
        --address 12DIGITS|auto --di HEX8 [--di HEX8 …] [--timeout MS] [--retries N]
  reads DL/T 645-2007 data identifiers from one meter; prints
  {"address": "202107072529", "values": {"00000000": {"value": 317.76, "unit": "kWh"}}, "errors": {"<di>": "why"}}
  --address auto asks the meter for its address (only with one meter on the line)
  exit 0 when every DI was read, 1 when a DI failed or the meter did not answer, 2 on a usage error`;


export const dlt645Read: Command = {
  words: ['dlt645', 'read'],
  summary: 'read data identifiers from a DL/T 645-2007 meter',
  usage: USAGE,
  options: {
    port: { type: 'string' },
    baud: { type: 'string' },
    parity: { type: 'string' },
    tcp: { type: 'string' },
    address: { type: 'string' },
    di: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    retries: { type: 'string' },
  },
  async run(values) {
    const address = values.address as string | undefined;
    if (address === undefined) throw new UsageError('--address is required: expected 12 digits or auto');
    const auto = address.toLowerCase() === 'auto';
    if (!auto && !(isValidAddress(address) && /^[0-9]{12}$/.test(address))) {
      throw new UsageError(`--address "${address}": expected 12 digits or auto`);
    }
    const dis = [...new Set(((values.di as string[] | undefined) ?? []).map((d) => d.toUpperCase()))];
    if (dis.length === 0) throw new UsageError('--di is required: expected 8 hex digits, e.g. --di 00000000');
    for (const d of dis) if (!isValidDi(d)) throw new UsageError(`--di "${d}": expected 8 hex digits, e.g. 00000000`);

    const { bus, description, timeoutMs, retries } = openMeterLine(values, DEFAULT_LINE);
    const client = new Dlt645Client(bus, { timeoutMs, retries });
    const doc: { address: string | null; values: Record<string, { value: number; unit: string; elements?: number[] }>; errors: Record<string, string> } = {
      address: auto ? null : address,
      values: {},
      errors: {},
    };
    const log = (line: string) => process.stderr.write(`${line}\n`);
    try {
      log(`dlt645: ${description}, timeout ${timeoutMs} ms, ${retries} retr${retries === 1 ? 'y' : 'ies'}`);
      let target = address;
      if (auto) {
        try {
          target = await client.readAddress();
          doc.address = target;
          log(`dlt645: the meter on the line answers as ${target}`);
        } catch (err) {
          const why = `address discovery failed: ${(err as Error).message}`;
          log(`dlt645: ${why}`);
          for (const d of dis) doc.errors[d] = why;
        }
      }
      if (doc.address !== null) {
        const read = await client.readPoints(target, dis.map((d) => ({ name: d, di: d })));
        doc.values = read.values;
        doc.errors = read.errors;
        for (const d of dis) {
          const name = diFormat(d)?.name ?? 'unknown DI';
          const v = read.values[d];
          log(v ? `dlt645: ${d} ${name}: ${v.value} ${v.unit}` : `dlt645: ${d} ${name}: ${read.errors[d]}`);
        }
        log(`dlt645: ${read.requests} request(s)`);
      }
    } finally {
      const c = bus.counters;
      const skipped = Object.entries(c.skipped).map(([k, n]) => `${k} ${n}`).join(', ');
      log(`dlt645: bus ${c.requests} requests, ${c.replies} replies, ${c.timeouts} timeouts${skipped ? `, skipped bytes: ${skipped}` : ''}`);
      await bus.close().catch(() => undefined);
    }
    printJson(doc);
    return Object.keys(doc.errors).length ? EXIT_FAILED : EXIT_OK;
  },
};
