// The `kitchen_sensors:` config section: the sensors of a sunshine kitchen (智能阳光厨房) —
// cold rooms and fridges, disinfection cabinets and UV lamps, the kitchen-waste scale —
// and their built-in simulator for running without hardware.
import { z } from 'zod';
import type { ConfigIssue } from '../../config/issues.ts';
import { host, id, port } from '../../config/shapes.ts';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const modbusTransport = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('tcp').describe('Modbus TCP, or an RS-485 sensor behind a Modbus TCP gateway'), host: host.describe('address of the sensor or gateway'), port: port.describe('TCP port') }),
  z.strictObject({
    type: z.literal('rtu-over-tcp').describe('Modbus RTU through a transparent RS-485-to-Ethernet converter'),
    host: host.describe('converter address'),
    port: port.describe('converter TCP port'),
    line_baud: z.number().int().min(300).max(921_600).default(9600).describe('baud rate of the converter\'s RS-485 side'),
  }),
  z.strictObject({
    type: z.literal('serial').describe('Modbus RTU on an RS-485 adapter of its own (a line shared with meters is not supported here)'),
    path: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB1'),
    baud: z.number().int().min(300).max(921_600).default(9600).describe('baud rate'),
    parity: z.enum(['none', 'even', 'odd']).default('none').describe('parity'),
    stop_bits: z.union([z.literal(1), z.literal(2)]).default(1).describe('stop bits'),
  }),
]);

const registerPoint = z.strictObject({
  function: z.enum(['input', 'holding']).default('holding').describe('FC04 input or FC03 holding register'),
  address: z.number().int().min(0).max(65_535).describe('register address (0-based, as on the wire)'),
  type: z.enum(['int16', 'uint16']).default('int16').describe('int16 for temperatures (below zero), uint16 for humidity'),
  scale: z.number().positive().default(0.1).describe('engineering value = register × scale (most RS-485 transmitters: 0.1)'),
});

const bitPoint = z.strictObject({
  function: z.enum(['discrete', 'coils']).default('discrete').describe('FC02 discrete input or FC01 coil'),
  address: z.number().int().min(0).max(65_535).describe('bit address (0-based)'),
  on_when: z.boolean().default(true).describe('the bit value that means open (door) or running (cabinet)'),
});

const modbusSource = {
  type: z.literal('modbus').describe('a Modbus RTU or TCP transmitter'),
  transport: modbusTransport.describe('how to reach the sensor'),
  unit_id: z.number().int().min(1).max(247).default(1).describe('Modbus unit id'),
  timeout_ms: z.number().int().min(50).max(10_000).default(1000).describe('reply timeout'),
};

export const coldRoomSchema = z.strictObject({
  id: id.describe('cold room or fridge id'),
  name: z.string().min(1).max(60).describe('what staff call it, e.g. "冷藏库 1"'),
  kind: z.enum(['refrigerated', 'frozen']).describe('refrigerated (冷藏): 0–8 °C; frozen (冷冻): below −12 °C — the limits of 《餐饮服务食品安全操作规范》(2018), terms 冷藏/冷冻'),
  min_c: z.number().min(-60).max(30).optional().describe('lowest allowed temperature, °C; default 0 for refrigerated, none for frozen'),
  max_c: z.number().min(-60).max(30).optional().describe('highest allowed temperature, °C; default 8 for refrigerated, −12 for frozen (local rules may be stricter)'),
  max_humidity: z.number().min(0).max(100).optional().describe('highest allowed relative humidity, %; default none'),
  excursion_ms: z.number().int().min(0).max(86_400_000).default(600_000).describe('a temperature outside the limits this long raises the alert (a door opened for loading warms the air for a few minutes)'),
  door_open_limit_s: z.number().int().min(1).max(86_400).default(300).describe('a door open longer than this raises an alert'),
  poll_ms: z.number().int().min(200).max(600_000).default(5000).describe('how often the sensor is read'),
  silent_after_ms: z.number().int().min(1000).max(3_600_000).default(60_000).describe('no valid reading for this long: the sensor is silent (an alarm, never a 0 °C)'),
  record_every_ms: z.number().int().min(10_000).max(86_400_000).default(600_000).describe('how often a reading record goes upstream (outbox stream events); excursions are recorded at once'),
  source: z
    .discriminatedUnion('type', [
      z.strictObject({
        ...modbusSource,
        temperature: registerPoint.describe('the temperature register'),
        humidity: registerPoint.optional().describe('the humidity register, if the sensor has one'),
        door: bitPoint.optional().describe('a door contact wired to the transmitter\'s digital input'),
      }),
      z.strictObject({
        type: z.literal('w1').describe('a DS18B20 probe on the Pi\'s 1-Wire bus (kernel w1-therm)'),
        device: z.string().regex(/^28-[0-9a-f]{12}$/, 'a DS18B20 id like 28-0316a2796bff (ls /sys/bus/w1/devices)').describe('the probe\'s 1-Wire id'),
        dir: z.string().default('/sys/bus/w1/devices').describe('the w1 sysfs directory (tests point it elsewhere)'),
      }),
    ])
    .describe('where the readings come from: an RS-485 Modbus transmitter, or a DS18B20 on the Pi\'s 1-Wire bus'),
});

export const disinfectionSchema = z.strictObject({
  id: id.describe('cabinet or lamp id'),
  name: z.string().min(1).max(60).describe('what staff call it, e.g. "消毒柜 1"'),
  kind: z.enum(['cabinet', 'uv_lamp']).describe('cabinet (消毒柜) or UV lamp (紫外线灯)'),
  min_cycle_minutes: z.number().int().min(1).max(600).optional().describe('a cycle shorter than this does not count; default 10 for a cabinet (infrared 120 °C ≥ 10 min), 30 for a UV lamp — 《餐饮服务食品安全操作规范》(2018) appendices'),
  due: z.array(z.string().regex(HHMM, 'HH:MM, 24 h site time')).default([]).describe('site-local times by which a full cycle must have run since the previous one (e.g. after each meal\'s washing); a missing cycle raises an alert'),
  poll_ms: z.number().int().min(200).max(600_000).default(5000).describe('how often a digital input is read'),
  source: z
    .discriminatedUnion('type', [
      z.strictObject({ ...modbusSource, input: bitPoint.describe('the running signal') }),
      z.strictObject({
        type: z.literal('meter').describe('a channel of a meter in devices.meters (its readings on the bus)'),
        meter: id.describe('an id of devices.meters'),
        point: z.string().min(1).default('power_total').describe('the meter point giving its power (W or kW)'),
        on_above_w: z.number().min(0).default(100).describe('running while the power is above this, W'),
      }),
    ])
    .describe('the running signal: a digital input over Modbus, or a power-meter channel'),
});

export const kitchenSensorsSchema = z
  .strictObject({
    cold_rooms: z.array(coldRoomSchema).default([]).describe('cold rooms and fridges'),
    disinfection: z.array(disinfectionSchema).default([]).describe('disinfection cabinets and UV lamps'),
    waste: z
      .strictObject({
        scale: id.optional().describe('the scale at the bin (devices.scales); without one the weight is typed in'),
        max_grams: z.number().int().min(1000).max(2_000_000).default(500_000).describe('largest weight one disposal may have, g'),
      })
      .prefault({})
      .describe('kitchen waste (餐厨垃圾): a record per disposal with the carrier\'s name'),
    simulator: z
      .strictObject({
        enabled: z.boolean().default(false).describe('run the simulated sensors (a Modbus TCP server: a fridge, a freezer, a cabinet)'),
        host: host.default('127.0.0.1').describe('listen address'),
        port: port.default(5022).describe('Modbus TCP port it serves'),
      })
      .prefault({})
      .describe('built-in simulated sensors for running without hardware'),
  })
  .prefault({})
  .describe('sunshine-kitchen sensors: cold rooms, disinfection, kitchen waste');

export type KitchenSensorsConfig = z.output<typeof kitchenSensorsSchema>;
export type ColdRoomConfig = z.output<typeof coldRoomSchema>;
export type DisinfectionConfig = z.output<typeof disinfectionSchema>;
export type ModbusTransportConfig = z.output<typeof modbusTransport>;

/** The limits of a cold room: configured, else the kind's. */
export function coldLimits(c: ColdRoomConfig): { min: number | null; max: number } {
  // 《餐饮服务食品安全操作规范》(国家市场监督管理总局 2018 年第 12 号公告), terms: 冷藏 "0 ℃～8 ℃";
  // 冷冻 "宜低于 −12 ℃" (shared/DOMAIN.md, Corrections: refrigerated 0–8 °C, frozen ≤ −12 °C)
  if (c.kind === 'refrigerated') return { min: c.min_c ?? 0, max: c.max_c ?? 8 };
  return { min: c.min_c ?? null, max: c.max_c ?? -12 };
}

/** The shortest cycle that counts, minutes. */
export function minCycleMinutes(d: DisinfectionConfig): number {
  // 《餐饮服务食品安全操作规范》(2018) appendices: infrared cabinets ≥ 120 °C for ≥ 10 min;
  // UV lamps in special rooms ≥ 30 min each use
  return d.min_cycle_minutes ?? (d.kind === 'cabinet' ? 10 : 30);
}

export function kitchenSensorsIssues(k: KitchenSensorsConfig, devices: { meters: { id: string }[]; scales: { id: string }[] }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const ids = new Set<string>();
  const unique = (at: string, v: string) => {
    if (ids.has(v)) issues.push({ path: at, message: `id ${JSON.stringify(v)} is used twice; expected unique ids across cold_rooms and disinfection` });
    ids.add(v);
  };
  k.cold_rooms.forEach((c, i) => {
    unique(`kitchen_sensors.cold_rooms[${i}].id`, c.id);
    const { min, max } = coldLimits(c);
    if (min !== null && min >= max) issues.push({ path: `kitchen_sensors.cold_rooms[${i}].min_c`, message: `min_c ${min} is not below max_c ${max}; expected min_c < max_c` });
  });
  const meters = devices.meters.map((m) => m.id);
  k.disinfection.forEach((d, i) => {
    unique(`kitchen_sensors.disinfection[${i}].id`, d.id);
    if (d.source.type === 'meter' && !meters.includes(d.source.meter)) {
      issues.push({ path: `kitchen_sensors.disinfection[${i}].source.meter`, message: `unknown meter ${JSON.stringify(d.source.meter)}; expected one of devices.meters: ${meters.join(', ') || '(none)'}` });
    }
  });
  const scales = devices.scales.map((s) => s.id);
  if (k.waste.scale && !scales.includes(k.waste.scale)) {
    issues.push({ path: 'kitchen_sensors.waste.scale', message: `unknown scale ${JSON.stringify(k.waste.scale)}; expected one of devices.scales: ${scales.join(', ') || '(none)'}` });
  }
  return issues;
}

export function parseHHMM(s: string): number {
  const m = HHMM.exec(s);
  if (!m) throw new Error(`${s}: expected HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}
