// CJ/T 188 in the meter protocol registry: profiles naming the fields of the meter
// data (DI 901F) and the meter type T, meters by 14-digit address on an RS-485 line.
import { z } from 'zod';
import type { MeterProtocol } from '../meter-protocol.ts';
import { common, profileCommon, uniqueNames } from '../modbus/profile.ts';
import { Cjt188Client } from './client.ts';
import { METER_DATA_FIELDS } from './data.ts';

export const cjt188PointSchema = z.strictObject({
  name: common.name,
  unit: common.unit,
  kind: common.kind,
  max: common.max,
  field: z.enum(METER_DATA_FIELDS).describe('which value of the meter data (DI 901F): volume_total, volume_settlement (m3 or L), valve_closed, valve_abnormal, battery_low (0/1)'),
});

export const cjt188ProfileSchema = z
  .strictObject({
    ...profileCommon,
    protocol: z.literal('cjt188'),
    meter_type: z
      .string()
      .regex(/^[0-9A-Fa-f]{2}$/, '2 hex digits: 10 cold water, 11 hot water, 30 gas (CJ/T 188-2004 Table 1)')
      .transform((s) => s.toUpperCase())
      .describe('meter type T'),
    points: z.array(cjt188PointSchema).min(1),
  })
  .superRefine((profile, ctx) => {
    uniqueNames(profile.points, ctx);
    profile.points.forEach((p, i) => {
      const volume = p.field.startsWith('volume');
      if (volume ? !['m3', 'L'].includes(p.unit) : p.unit !== '') {
        ctx.addIssue({ code: 'custom', path: ['points', i, 'unit'], message: `got "${p.unit}"; expected ${volume ? '"m3" or "L"' : '"" (a 0/1 flag)'} for field ${p.field}` });
      }
    });
  });

export type Cjt188Profile = z.output<typeof cjt188ProfileSchema>;

export const cjt188Protocol: MeterProtocol<Cjt188Profile> = {
  name: 'cjt188',
  title: 'CJ/T 188',
  profileSchema: cjt188ProfileSchema,
  keys: { profile: [...Object.keys(profileCommon), 'protocol', 'meter_type', 'points'], point: Object.keys(cjt188PointSchema.shape) },
  transports: ['bus'],
  address: { pattern: /^\d{14}$/, expected: '14-digit CJ/T 188 address' },
  poll(line, m, profile) {
    const client = line.client('cjt188', (bus) => new Cjt188Client(bus, { timeoutMs: line.timeoutMs }));
    const type = Number.parseInt(profile.meter_type, 16);
    return { id: m.id, intervalMs: m.pollMs, read: () => client.readPoints(type, m.address!, profile.points) };
  },
};
