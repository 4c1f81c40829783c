// `canteen-edge meter profiles | read | scan`: the installer's look at Modbus
// meters before the service runs, over Modbus TCP, RTU over TCP (a transparent
// converter) or RTU on a serial port.
import type { Parity } from '../../drivers/serial/byte-stream.ts';
import { utilisation, type ModbusClient } from '../../drivers/modbus/client.ts';
import { createModbusClient, type ModbusTransport } from '../../drivers/modbus/connect.ts';
import { readMeter, type Ratios } from '../../drivers/modbus/meter-reader.ts';
import { meterProtocol, shippedProfiles } from '../../drivers/meter-protocols.ts';
import { isModbusProfile } from '../../drivers/modbus/profile.ts';
import { scanUnits } from '../../drivers/modbus/scan.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, parseHostPort, printJson, type Command, type Options } from './command.ts';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const LINE_USAGE = '(--tcp HOST:PORT [--rtu-over-tcp] | --port PATH [--baud N] [--parity none|even|odd] [--stop-bits 1|2])';
const LINE_OPTIONS: Options = {
  tcp: { type: 'string' },
  'rtu-over-tcp': { type: 'boolean' },
  port: { type: 'string' },
  baud: { type: 'string' },
  parity: { type: 'string' },
  'stop-bits': { type: 'string' },
  timeout: { type: 'string' },
};

function intFlag(values: Values, name: string, fallback: number | undefined, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required: expected an integer from ${min} to ${max}`);
    return fallback;
  }
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${name} "${String(raw)}": expected an integer from ${min} to ${max}`);
  return n;
}


function transportFrom(values: Values): ModbusTransport {
  const tcp = values.tcp as string | undefined;
  const port = values.port as string | undefined;
  if ((tcp === undefined) === (port === undefined)) throw new UsageError('expected exactly one of --tcp HOST:PORT or --port PATH');
  if (tcp !== undefined) {
    for (const flag of ['baud', 'parity', 'stop-bits']) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} sets a serial line: use it with --port, not --tcp (a converter sets its own line)`);
    }
    return { type: values['rtu-over-tcp'] ? 'rtu-over-tcp' : 'tcp', ...parseHostPort(tcp) };
  }
  if (values['rtu-over-tcp']) throw new UsageError('--rtu-over-tcp goes with --tcp HOST:PORT (a transparent RS-485-to-Ethernet converter)');
  const parity = (values.parity as string | undefined) ?? 'none';
  if (!['none', 'even', 'odd'].includes(parity)) throw new UsageError(`--parity "${parity}": expected none, even or odd`);
  const stopBits = intFlag(values, 'stop-bits', 1, 1, 2) as 1 | 2;
  return { type: 'serial', path: port!, baudRate: intFlag(values, 'baud', 9600, 300, 4_000_000), dataBits: 8, parity: parity as Parity, stopBits };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function logCounters(client: ModbusClient): void {
  const c = client.counters;
  const skipped = Object.entries(c.skipped).map(([k, n]) => `${k} ${n}`).join(', ');
  log(
    `${client.description}: ${c.requests} requests, ${c.replies} replies, ${c.timeouts} timeouts, ${c.exceptions} exceptions, ${c.crcErrors} CRC errors` +
      `${skipped ? `, skipped: ${skipped}` : ''}; ${c.bytesOut} bytes out, ${c.bytesIn} in; busy ${Math.round(utilisation(c) * 100)} %`,
  );
}

export const meterProfiles: Command = {
  words: ['meter', 'profiles'],
  summary: 'list the meter profiles and their points',
  usage: 'canteen-edge meter profiles\n  prints {"profiles": [{"name": "sdm630", "points": [{"name", "unit", "kind"}]}]}',
  options: {},
  async run() {
    const profiles = [...shippedProfiles().values()].map((p) => ({ name: p.name, points: p.points.map(({ name, unit, kind }) => ({ name, unit, kind })) }));
    printJson({ profiles });
    return EXIT_OK;
  },
};

export const meterRead: Command = {
  words: ['meter', 'read'],
  summary: 'read every point of a meter profile from one Modbus meter',
  usage: `canteen-edge meter read --profile NAME --unit ID\n        ${LINE_USAGE}\n        [--timeout MS] [--ct-ratio N] [--pt-ratio N]
  prints {"profile", "unit", "values": {"<point>": {"value": n, "unit": "V"}}, "errors": {"<point>": "why"}, "requests": n}
  requests = bus transactions used (near registers are read together); serial defaults 9600 8N1; --timeout default 1000
  a profile with ratio registers (dtsu666) reads the CT/PT ratios, reports them as ratio_current / ratio_voltage and
  applies them to the secondary values; --ct-ratio / --pt-ratio set them instead of reading the registers
  exit 0 when every point was read, 1 when a point failed or the meter did not answer, 2 on a usage error`,
  options: { ...LINE_OPTIONS, profile: { type: 'string' }, unit: { type: 'string' }, 'ct-ratio': { type: 'string' }, 'pt-ratio': { type: 'string' } },
  async run(values) {
    const name = values.profile as string | undefined;
    const profiles = shippedProfiles();
    const known = [...profiles.keys()].join(', ');
    if (name === undefined) throw new UsageError(`--profile is required: one of ${known}`);
    const profile = profiles.get(name);
    if (!profile) throw new UsageError(`--profile "${name}": unknown; expected one of ${known}`);
    if (!isModbusProfile(profile)) throw new UsageError(`--profile "${name}" is a ${meterProtocol(profile.protocol).title} profile: use \`canteen-edge ${profile.protocol} read\``);
    const transport = transportFrom(values);
    const unit = intFlag(values, 'unit', undefined, transport.type === 'tcp' ? 0 : 1, transport.type === 'tcp' ? 255 : 247);
    const timeoutMs = intFlag(values, 'timeout', 1000, 1, 60_000);
    const ratios: Ratios = {};
    for (const [flag, key] of [['ct-ratio', 'current'], ['pt-ratio', 'voltage']] as const) {
      const raw = values[flag];
      if (raw === undefined) continue;
      const n = Number(raw);
      if (typeof raw !== 'string' || !(n > 0)) throw new UsageError(`--${flag} "${String(raw)}": expected a positive number, e.g. 40 for a 200/5 A CT`);
      if (!profile.ratios?.[key]) throw new UsageError(`--${flag}: profile ${profile.name} reports primary values (no ${key} ratio register)`);
      ratios[key] = n;
    }

    const client = createModbusClient(transport, { timeoutMs });
    log(`meter read: ${profile.name} unit ${unit} on ${client.description}, timeout ${timeoutMs} ms`);
    try {
      const read = await readMeter(client, profile, unit, { ratios });
      for (const p of profile.points) {
        const v = read.values[p.name];
        log(v ? `  ${p.name}: ${v.value} ${v.unit}` : `  ${p.name}: ${read.errors[p.name]}`);
      }
      logCounters(client);
      printJson({ profile: profile.name, unit, values: read.values, errors: read.errors, requests: read.requests });
      return Object.keys(read.errors).length ? EXIT_FAILED : EXIT_OK;
    } finally {
      await client.close().catch(() => undefined);
    }
  },
};

export const meterScan: Command = {
  words: ['meter', 'scan'],
  summary: 'find the Modbus unit ids that answer on a line',
  usage: `canteen-edge meter scan ${LINE_USAGE}\n        [--from 1] [--to 247] [--timeout MS]
  probes each unit id with a one-register read (an exception reply counts as a device); prints {"units": [1, 3]}
  --timeout per unit, default 200; exit 0 when a unit answered, 1 when none did, 2 on a usage error`,
  options: { ...LINE_OPTIONS, from: { type: 'string' }, to: { type: 'string' } },
  async run(values) {
    const transport = transportFrom(values);
    const from = intFlag(values, 'from', 1, 1, 247);
    const to = intFlag(values, 'to', 247, 1, 247);
    if (from > to) throw new UsageError(`--from ${from} is above --to ${to}`);
    const timeoutMs = intFlag(values, 'timeout', 200, 1, 60_000);
    const client = createModbusClient(transport, { timeoutMs });
    log(`meter scan: units ${from}…${to} on ${client.description}, ${timeoutMs} ms each`);
    try {
      const units = await scanUnits(client, { from, to, onProbe: (u, found) => found && log(`  unit ${u} answers`) });
      logCounters(client);
      printJson({ units });
      return units.length ? EXIT_OK : EXIT_FAILED;
    } finally {
      await client.close().catch(() => undefined);
    }
  },
};
