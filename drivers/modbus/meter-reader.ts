// Reads every point of a meter profile from one unit: plan, read, decode, scale.
// A failed read fails only the points it carries; the others are still returned.
// A read the device refuses with exception 02/03 is split in halves and retried,
// and the largest read that worked is remembered in the caller's DeviceReadState.
// After a request gets no answer at all (a timeout, a connection that failed),
// the rest are not sent: a dead meter costs one timeout per read.
import { MAX_BITS, MAX_REGISTERS, ModbusError, type ModbusClient, type ModbusFunction } from './client.ts';
import { applyScale, decodeBits, decodeValue, registerCount } from './decode.ts';
import { learnedCap, planReads, splitBlock, type DeviceReadState, type ReadBlock } from './plan.ts';
import { RATIO_NAMES, type MeterPoint, type MeterProfile } from './profile.ts';

export interface MeterRead {
  values: Record<string, { value: number; unit: string }>;
  errors: Record<string, string>;
  /** bus transactions used */
  requests: number;
}

export interface ReadOptions {
  /** registers two points may be apart and still be read together (bits: 16 × this) */
  maxGap?: number;
  /** the device's learned read caps: pass the same object on every poll of that device */
  state?: DeviceReadState;
  timeoutMs?: number;
  /** stop at the first request without an answer (a timeout, a dropped connection): default true */
  abortOnTimeout?: boolean;
  /** CT/PT ratios a site set for this meter: used instead of the profile's ratio registers */
  ratios?: Ratios;
}

export interface Ratios {
  current?: number;
  voltage?: number;
}

const isBits = (fn: ModbusFunction) => fn === 'coils' || fn === 'discrete';

export async function readMeter(client: ModbusClient, profile: MeterProfile, unit: number, opts: ReadOptions = {}): Promise<MeterRead> {
  const out: MeterRead = { values: {}, errors: {}, requests: 0 };
  const state = opts.state ?? {};
  const maxGap = opts.maxGap ?? 8;
  const call = opts.timeoutMs === undefined ? undefined : { timeoutMs: opts.timeoutMs };
  const seen = { registers: newSeen(), bits: newSeen() };
  let silent: string | undefined;

  const fail = (block: ReadBlock<MeterPoint>, why: string) => {
    for (const p of block.points) out.errors[p.name] = why;
  };

  const readBlock = async (fn: ModbusFunction, block: ReadBlock<MeterPoint>): Promise<void> => {
    if (silent) return fail(block, silent);
    const learn = isBits(fn) ? seen.bits : seen.registers;
    out.requests += 1;
    try {
      if (fn === 'coils' || fn === 'discrete') {
        const bits = await client.readBits(unit, fn, block.start, block.count, call);
        for (const p of block.points) setValue(p, bits[p.register - block.start] ? 1 : 0);
      } else {
        const data = await client.readRegisters(unit, fn, block.start, block.count, call);
        for (const p of block.points) decodePoint(p, data, block.start);
      }
      learn.succeeded.push(block.count);
    } catch (err) {
      const e = err instanceof ModbusError ? err : new ModbusError((err as Error).message);
      if (e.exceptionCode === 2 || e.exceptionCode === 3) {
        const parts = splitBlock(block);
        if (parts.length) {
          learn.refused.push({ fn, count: block.count, splits: parts.slice(1).map((b) => b.start) });
          for (const part of parts) await readBlock(fn, part);
          return;
        }
      }
      if (e.exceptionCode === undefined && opts.abortOnTimeout !== false) silent = `not tried after an earlier request failed (${e.message})`;
      fail(block, e.message);
    }
  };

  const setValue = (p: MeterPoint, raw: number) => {
    const value = applyScale(raw, p.scale, p.offset);
    if (Number.isFinite(value)) out.values[p.name] = { value, unit: p.unit };
    else out.errors[p.name] = `not a number (raw ${raw})`;
  };

  const decodePoint = (p: MeterPoint, data: Buffer, start: number) => {
    const at = (p.register - start) * 2;
    const raw = data.subarray(at, at + registerCount(p.type) * 2);
    if (raw.length < registerCount(p.type) * 2) {
      out.errors[p.name] = `reply too short (${data.length} bytes)`;
      return;
    }
    const n = p.bits ? decodeBits(raw, p.type, p.order, p.bits[0], p.bits[1]) : decodeValue(raw, p.type, p.order);
    if (Number.isFinite(n)) setValue(p, n);
    else out.errors[p.name] = `not a number (raw ${raw.toString('hex')})`;
  };

  const ratioPoints = ratioRegisterPoints(profile, opts.ratios);
  const byFunction = new Map<ModbusFunction, MeterPoint[]>();
  for (const p of [...profile.points, ...ratioPoints]) byFunction.set(p.function, [...(byFunction.get(p.function) ?? []), p]);
  for (const [fn, points] of byFunction) {
    const bits = isBits(fn);
    const largest = Math.max(...points.map((p) => registerCount(p.type)));
    const cap = Math.max(largest, bits ? (state.bitCap ?? MAX_BITS) : (state.registerCap ?? MAX_REGISTERS));
    for (const block of planReads(points, bits ? maxGap * 16 : maxGap, cap, state.splits?.[fn])) await readBlock(fn, block);
  }

  for (const [key, s] of [['registerCap', seen.registers], ['bitCap', seen.bits]] as const) {
    if (!s.refused.length) continue;
    // a refusal no longer than a read that worked is a gap in the map, not a size limit
    const longestOk = Math.max(0, ...s.succeeded);
    const tooLong = s.refused.filter((r) => r.count > longestOk);
    const cap = learnedCap(state[key], tooLong.map((r) => r.count), s.succeeded);
    if (cap !== undefined) state[key] = cap;
    for (const r of s.refused.filter((x) => x.count <= longestOk)) {
      state.splits ??= {};
      state.splits[r.fn] = [...new Set([...(state.splits[r.fn] ?? []), ...r.splits])].sort((a, b) => a - b);
    }
  }
  if (profile.ratios) applyRatios(profile, opts.ratios ?? {}, out);
  return out;
}

/** The ratio registers to read with the points: those the profile has and the site did not set. */
function ratioRegisterPoints(profile: MeterProfile, set: Ratios = {}): MeterPoint[] {
  return (['current', 'voltage'] as const).flatMap((r) => {
    const reg = profile.ratios?.[r];
    if (!reg || set[r] !== undefined) return [];
    return [{ name: RATIO_NAMES[r], unit: '', kind: 'instantaneous' as const, register: reg.register, function: profile.function, type: reg.type, order: reg.order, scale: reg.scale, offset: 0 }];
  });
}

/**
 * Reports the CT/PT ratios (read or set) as `ratio_current` / `ratio_voltage` and turns the
 * secondary points into primary values: current × CT, voltage × PT, power and energy × both.
 * A secondary point whose ratio could not be read fails with the reason: a secondary value is
 * never passed off as a primary one.
 */
function applyRatios(profile: MeterProfile, set: Ratios, out: MeterRead): void {
  const ratio: Partial<Record<'current' | 'voltage', number>> = {};
  const why: Partial<Record<'current' | 'voltage', string>> = {};
  for (const r of ['current', 'voltage'] as const) {
    if (!profile.ratios?.[r]) continue;
    const name = RATIO_NAMES[r];
    const value = set[r] ?? out.values[name]?.value;
    if (value !== undefined && value > 0) {
      ratio[r] = value;
      out.values[name] = { value, unit: '' };
    } else {
      why[r] = value !== undefined ? `the meter reports a ${r} ratio of ${value}` : (out.errors[name] ?? 'not read');
      delete out.values[name];
      out.errors[name] ??= why[r]!;
    }
  }
  for (const p of profile.points) {
    const v = out.values[p.name];
    if (!p.secondary || !v) continue;
    const needs: ('current' | 'voltage')[] = p.secondary === 'power' ? ['current', 'voltage'] : [p.secondary];
    const missing = needs.find((r) => ratio[r] === undefined);
    if (missing) {
      delete out.values[p.name];
      out.errors[p.name] = `${missing} ratio unknown (${why[missing]}): the meter reports secondary values`;
      continue;
    }
    const factor = needs.reduce<number>((f, r) => f * ratio[r]!, 1);
    // round away binary noise: 15.23 A × 40 is 609.2, not 609.1999999999999
    v.value = factor === 1 ? v.value : Number((v.value * factor).toPrecision(12));
  }
}

function newSeen() {
  return { refused: [] as { fn: ModbusFunction; count: number; splits: number[] }[], succeeded: [] as number[] };
}
