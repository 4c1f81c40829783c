// What a meter protocol gives the registry (./meter-protocols.ts): the schema of its
// profiles, how its meters are reached and addressed, and how one meter is polled on
// a line. A new protocol is one file exporting a MeterProtocol plus one line there.
import type { z } from 'zod';
import type { PolledDevice } from './modbus/bus-poller.ts';
import type { SharedBus } from './serial/shared-bus.ts';

/** The part of every profile the rest of the box relies on. */
export interface ProfileBase {
  name: string;
  protocol: string;
  description: string;
  medium?: 'electricity' | 'water' | 'gas' | undefined;
  points: { name: string; unit: string; kind: 'instantaneous' | 'counter'; max?: number | undefined }[];
}

/** One line (an RS-485 bus, or a Modbus TCP endpoint) as a protocol sees it. */
export interface LineHandle {
  /** the RS-485 line's byte bus; absent on a Modbus TCP endpoint */
  shared?: SharedBus;
  timeoutMs: number;
  /** one client of a protocol per line, made on first use */
  client<T>(protocol: string, make: (bus: SharedBus) => T): T;
}

/** One configured meter, as far as polling goes. */
export interface PolledMeter {
  id: string;
  unitId: number;
  address?: string;
  pollMs: number;
  /** this meter's own reply timeout (Modbus TCP); on a bus the line's */
  timeoutMs?: number;
  /** CT/PT ratios the site set for this meter, instead of the ones its registers hold */
  ratios?: { current?: number; voltage?: number };
}

export interface MeterProtocol<P extends ProfileBase = ProfileBase> {
  /** the profile's `protocol` value */
  name: string;
  /** as people write it, for messages: "DL/T 645" */
  title: string;
  profileSchema: z.ZodType<P>;
  /** allowed keys, for "unknown key" messages: of the profile, of a point */
  keys: { profile: string[]; point: string[] };
  /** how meters are reached: 'tcp' (Modbus TCP, `transport:`) and/or 'bus' (an RS-485 line in `buses:`) */
  transports: readonly ('tcp' | 'bus')[];
  /** meters addressed by number (`address:` in config): its form */
  address?: { pattern: RegExp; expected: string };
  /** one meter on a line → what the line's BusPoller polls */
  poll(line: LineHandle, meter: PolledMeter, profile: P): PolledDevice;
}
