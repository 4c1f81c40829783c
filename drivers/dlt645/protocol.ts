// DL/T 645-2007 in the meter protocol registry: profiles of DIs, meters by 12-digit address.
import type { MeterProtocol } from '../meter-protocol.ts';
import { dlt645PointSchema, dlt645ProfileSchema, profileCommon, type Dlt645Profile } from '../modbus/profile.ts';
import { Dlt645Client } from './client.ts';

export const dlt645Protocol: MeterProtocol<Dlt645Profile> = {
  name: 'dlt645',
  title: 'DL/T 645',
  profileSchema: dlt645ProfileSchema,
  keys: { profile: [...Object.keys(profileCommon), 'protocol', 'points'], point: Object.keys(dlt645PointSchema.shape) },
  transports: ['bus'],
  address: { pattern: /^\d{12}$/, expected: '12-digit DL/T 645 address' },
  poll(line, m, profile) {
    const client = line.client('dlt645', (bus) => new Dlt645Client(bus, { timeoutMs: line.timeoutMs }));
    return { id: m.id, intervalMs: m.pollMs, read: () => client.readPoints(m.address!, profile.points) };
  },
};
