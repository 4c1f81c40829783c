// Modbus RTU / TCP in the meter protocol registry: profiles of registers, meters by unit id.
import type { MeterProtocol } from '../meter-protocol.ts';
import { modbusProfileSchema, pointSchema, profileCommon, type MeterProfile } from './profile.ts';

export const modbusProtocol: MeterProtocol<MeterProfile> = {
  name: 'modbus',
  title: 'Modbus',
  profileSchema: modbusProfileSchema,
  keys: { profile: [...Object.keys(profileCommon), 'protocol', 'function', 'ratios', 'points'], point: Object.keys(pointSchema.shape) },
  transports: ['tcp', 'bus'],
  poll: (_line, m, profile) => ({ id: m.id, unit: m.unitId, profile, intervalMs: m.pollMs, timeoutMs: m.timeoutMs, ...(m.ratios ? { ratios: m.ratios } : {}) }),
};
