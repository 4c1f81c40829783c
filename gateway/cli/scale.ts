// `canteen-edge scale read`: weighs once, for the installer with a laptop at the
// checkout: MT-SICS, Toledo 8217, continuous ASCII and Modbus transmitters over
// a serial port or TCP, or an HX711 load cell on GPIO.
import type { z } from 'zod';
import { createScale } from '../../drivers/scale/create.ts';
import { scaleDeviceSchema, type ScaleDeviceInput } from '../../drivers/scale/config.ts';
import type { ScaleDriver } from '../../drivers/scale/driver.ts';
import { SCALE_PROTOCOLS } from '../../drivers/scale/protocols.ts';
import type { WeightReading } from '../../drivers/scale/reading.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, intFlag, parseHostPort, printJson, type Command } from './command.ts';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const USAGE = `canteen-edge scale read --protocol mt-sics|toledo|continuous|modbus|hx711
        (--port PATH [--baud N] [--parity none|even|odd] [--data-bits 7|8] [--stop-bits 1|2] | --tcp HOST:PORT [--rtu-over-tcp])
        [--stable] [--timeout MS] [--division G]
        modbus:     --registers JSON [--unit ID]      e.g. --registers '{"net": {"address": 0, "type": "int32"}, "status": {"address": 2, "stable_bit": 0}}'
        continuous: [--pattern REGEX|JSON]            default lines like ST,GS,+0001.234kg
        hx711:      --dout GPIO --sck GPIO --calibration FILE [--gain 128|64|32]
  prints {"grams": n, "stable": true|false, "net": true|false} (grams null when the scale only sent a status;
  "overload"/"underload": true when so); the first reading, or with --stable the first stable one
  serial defaults 9600 8N1 (toledo 7E1); --timeout default 5000
  exit 0 with a reading, 1 when the scale did not answer (or not stably) within the timeout or cannot be opened, 2 on a usage error`;



function jsonFlag(values: Values, name: string): unknown {
  const raw = values[name] as string;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`--${name}: not JSON: ${(err as Error).message}`);
  }
}

/** Which flag a config path came from, for the usage error. */
function flagOf(path: PropertyKey[]): string {
  const [first, second] = path.map(String);
  const direct: Record<string, string> = { protocol: '--protocol', calibration_file: '--calibration', gain: '--gain', division_g: '--division', registers: '--registers', pattern: '--pattern' };
  if (first === 'pins') return second === 'sck' ? '--sck' : '--dout';
  if (first === 'transport') return ({ baud: '--baud', parity: '--parity', data_bits: '--data-bits', stop_bits: '--stop-bits', path: '--port' } as Record<string, string>)[second ?? ''] ?? '--port/--tcp';
  return direct[first ?? ''] ?? `--${first}`;
}

function configFrom(values: Values): ScaleDeviceInput {
  const protocol = values.protocol as string | undefined;
  const list = SCALE_PROTOCOLS.join(', ');
  if (protocol === undefined) throw new UsageError(`--protocol is required: one of ${list}`);
  if (!(SCALE_PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError(`--protocol "${protocol}": expected one of ${list}`);
  const p = protocol as ScaleDeviceInput['protocol'];
  const timeout = intFlag(values, 'timeout', 5000, 100, 600_000)!;
  const config: ScaleDeviceInput = {
    id: 'cli',
    protocol: p,
    poll_ms: 100,
    reply_timeout_ms: Math.min(1000, timeout),
    timeout_ms: timeout,
  };
  if (values.division !== undefined) {
    const d = Number(values.division);
    if (!(d > 0)) throw new UsageError(`--division "${String(values.division)}": expected the scale division in grams, e.g. 1, 2, 5 or 0.1`);
    config.division_g = d;
  }

  const port = values.port as string | undefined;
  const tcp = values.tcp as string | undefined;
  if (p === 'hx711') {
    for (const flag of ['port', 'tcp', 'baud', 'parity', 'data-bits', 'stop-bits', 'rtu-over-tcp']) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to hx711: it is wired to GPIO (--dout, --sck)`);
    }
    const dout = intFlag(values, 'dout', undefined, 0, 4095);
    const sck = intFlag(values, 'sck', undefined, 0, 4095);
    if (dout === undefined) throw new UsageError('--dout is required for hx711: the GPIO number of DOUT');
    if (sck === undefined) throw new UsageError('--sck is required for hx711: the GPIO number of PD_SCK');
    if (values.calibration === undefined) throw new UsageError('--calibration is required for hx711: the JSON file with offset and counts per gram');
    config.pins = { dout, sck };
    config.calibration_file = values.calibration as string;
    config.division_g ??= 1;
    if (values.gain !== undefined) {
      const gain = Number(values.gain);
      if (![128, 64, 32].includes(gain)) throw new UsageError(`--gain "${String(values.gain)}": expected 128, 64 or 32`);
      config.gain = gain as 128 | 64 | 32;
    }
  } else {
    for (const flag of ['dout', 'sck', 'gain', 'calibration']) if (values[flag] !== undefined) throw new UsageError(`--${flag} is for hx711 only`);
    if ((port === undefined) === (tcp === undefined)) throw new UsageError('expected exactly one of --port PATH or --tcp HOST:PORT');
    if (tcp !== undefined) {
      for (const flag of ['baud', 'parity', 'data-bits', 'stop-bits']) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} sets a serial line: use it with --port, not --tcp (a converter sets its own line)`);
      }
      if (values['rtu-over-tcp'] && p !== 'modbus') throw new UsageError('--rtu-over-tcp is for --protocol modbus');
      config.transport = { type: values['rtu-over-tcp'] ? 'rtu-over-tcp' : 'tcp', ...parseHostPort(tcp) };
    } else {
      if (values['rtu-over-tcp']) throw new UsageError('--rtu-over-tcp goes with --tcp HOST:PORT');
      const parity = values.parity as string | undefined;
      if (parity !== undefined && !['none', 'even', 'odd'].includes(parity)) throw new UsageError(`--parity "${parity}": expected none, even or odd`);
      config.transport = {
        type: 'serial',
        path: port!,
        baud: intFlag(values, 'baud', 9600, 300, 921_600),
        data_bits: intFlag(values, 'data-bits', undefined, 7, 8) as 7 | 8 | undefined,
        parity: parity as 'none' | 'even' | 'odd' | undefined,
        stop_bits: intFlag(values, 'stop-bits', undefined, 1, 2) as 1 | 2 | undefined,
      };
    }
  }

  if (p === 'modbus') {
    if (values.registers === undefined) throw new UsageError('--registers is required for modbus: JSON of the register map, e.g. {"net": {"address": 0, "type": "int32"}}');
    const registers = jsonFlag(values, 'registers');
    if (typeof registers !== 'object' || registers === null || Array.isArray(registers)) throw new UsageError('--registers: expected a JSON object');
    const unit = intFlag(values, 'unit', undefined, 0, 255);
    config.registers = { ...(registers as object), ...(unit !== undefined ? { unit_id: unit } : {}) } as ScaleDeviceInput['registers'];
  } else {
    if (values.registers !== undefined || values.unit !== undefined) throw new UsageError('--registers and --unit are for --protocol modbus');
  }
  if (values.pattern !== undefined) {
    if (p !== 'continuous') throw new UsageError('--pattern is for --protocol continuous');
    const raw = values.pattern as string;
    config.pattern = (raw.trim().startsWith('{') ? jsonFlag(values, 'pattern') : { regex: raw }) as ScaleDeviceInput['pattern'];
  }

  const parsed = scaleDeviceSchema.safeParse(config);
  if (!parsed.success) {
    const issue = (parsed.error as z.ZodError).issues[0]!;
    throw new UsageError(`${flagOf(issue.path)}: ${issue.path.length > 1 ? `${issue.path.slice(1).join('.')}: ` : ''}${issue.message}`);
  }
  return config;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function describe(r: WeightReading): string {
  if (r.noWeight) return `no weight (${[r.overload && 'overload', r.underload && 'underload', !r.overload && !r.underload && 'status only'].filter(Boolean).join(', ')})`;
  return `${r.grams} g ${r.stable ? `stable (${r.stableBy})` : 'unstable'}${r.net ? ' net' : ''}${r.overload ? ' overload' : ''}${r.underload ? ' underload' : ''}`;
}

/** Resolves with the first wanted reading, or rejects with why there was none. */
function weigh(scale: ScaleDriver, wantStable: boolean, timeoutMs: number): Promise<WeightReading> {
  return new Promise((resolve, reject) => {
    let last: WeightReading | undefined;
    const done = (err?: Error, r?: WeightReading) => {
      clearTimeout(timer);
      scale.off('reading', onReading);
      scale.off('lost', onLost);
      if (err) reject(err);
      else resolve(r!);
    };
    const onReading = (r: WeightReading) => {
      if (!last || describe(last) !== describe(r)) log(`  ${describe(r)}   ${JSON.stringify(r.raw)}`);
      last = r;
      if (wantStable ? r.stable : !r.noWeight || r.overload || r.underload) done(undefined, r);
    };
    const onLost = (reason: string) => done(new Error(reason));
    const timer = setTimeout(() => {
      if (!last) return done(new Error(`the scale did not answer within ${timeoutMs} ms${scale.lastError ? ` (${scale.lastError})` : ''}`));
      done(new Error(`no ${wantStable ? 'stable reading' : 'weight'} within ${timeoutMs} ms (last: ${describe(last)})`));
    }, timeoutMs);
    scale.on('reading', onReading);
    scale.on('lost', onLost);
  });
}

export const scaleRead: Command = {
  words: ['scale', 'read'],
  summary: 'weigh once on a checkout scale (MT-SICS, Toledo 8217, continuous, Modbus, HX711)',
  usage: USAGE,
  options: {
    protocol: { type: 'string' },
    port: { type: 'string' },
    baud: { type: 'string' },
    parity: { type: 'string' },
    'data-bits': { type: 'string' },
    'stop-bits': { type: 'string' },
    tcp: { type: 'string' },
    'rtu-over-tcp': { type: 'boolean' },
    stable: { type: 'boolean' },
    timeout: { type: 'string' },
    division: { type: 'string' },
    registers: { type: 'string' },
    unit: { type: 'string' },
    pattern: { type: 'string' },
    dout: { type: 'string' },
    sck: { type: 'string' },
    gain: { type: 'string' },
    calibration: { type: 'string' },
  },
  async run(values) {
    const config = configFrom(values);
    const timeoutMs = config.timeout_ms!;
    const scale = createScale(config, { link: { minBackoffMs: 200, maxBackoffMs: 1000 } });
    const wantStable = values.stable === true;
    log(`scale read: ${config.protocol} on ${scale.description}, ${wantStable ? 'waiting for a stable reading' : 'first reading'}, timeout ${timeoutMs} ms`);
    scale.start();
    try {
      const r = await weigh(scale, wantStable, timeoutMs);
      const doc: Record<string, unknown> = { grams: r.noWeight ? null : r.grams, stable: r.stable, net: r.net };
      if (r.overload) doc.overload = true;
      if (r.underload) doc.underload = true;
      printJson(doc);
      return EXIT_OK;
    } catch (err) {
      log(`scale read: ${(err as Error).message}`);
      return EXIT_FAILED;
    } finally {
      await scale.stop().catch(() => undefined);
      const c = scale.counters;
      log(`${scale.description}: ${c.good} good, ${c.garbled} garbled, ${c.timeouts} timeouts, ${c.refused} refused`);
    }
  },
};
