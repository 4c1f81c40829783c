// The one config file, as a schema. Every key has a description: docs/config.md
// is generated from this file (`npm run docs:config`) and a test keeps them in step.
// Objects are strict: an unknown key is an error, so a typo never passes silently.
import { z } from 'zod';
import { cameraConfigSchema } from '../../drivers/camera/config.ts';
import { scaleDeviceSchema } from '../../drivers/scale/config.ts';
import { authConfigSchema } from '../auth/config.ts';
import { biometricsConfigSchema } from '../biometrics/config.ts';
import { canteenConfigSchema } from '../canteen/config.ts';
import { kitchenConfigSchema } from '../kitchen/config.ts';
import { foodSafetyConfigSchema } from '../kitchen/records/config.ts';
import { kitchenSensorsSchema } from '../kitchen/sensors/config.ts';
import { paymentsConfigSchema } from '../payments/config.ts';
import { uplinkSchema } from '../uplink/registry.ts';

import { host, id, port, secret, subItemCode } from './shapes.ts';

export { secret };

const tcpTransport = z.strictObject({
  type: z.literal('tcp').describe('Modbus TCP (MBAP) or a raw TCP stream'),
  host: host.describe('address of the device or converter'),
  port: port.describe('TCP port'),
});

const serialLine = {
  id: id.describe('bus id, referred to by meters as `bus:`'),
  timeout_ms: z.number().int().min(20).max(60_000).default(1000).describe('reply timeout for every device on the line'),
  inter_request_delay_ms: z.number().int().min(0).max(10_000).default(0).describe('extra silence between transactions, on top of the protocol\'s own gap (t3.5 for Modbus RTU)'),
};

export const busSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...serialLine,
    type: z.literal('serial').describe('an RS-485 line on a serial port (USB adapter or HAT)'),
    path: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…'),
    baud: z.number().int().min(300).max(921_600).default(9600).describe('baud rate (DL/T 645 meters usually 2400)'),
    data_bits: z.union([z.literal(7), z.literal(8)]).default(8).describe('data bits'),
    parity: z.enum(['none', 'even', 'odd']).default('none').describe('parity (DL/T 645 meters usually even)'),
    stop_bits: z.union([z.literal(1), z.literal(2)]).default(1).describe('stop bits'),
  }),
  z.strictObject({
    ...serialLine,
    type: z.literal('rtu-over-tcp').describe('a transparent RS-485-to-Ethernet converter: the line\'s bytes over TCP'),
    host: host.describe('converter address'),
    port: port.describe('converter TCP port'),
    line_baud: z.number().int().min(300).max(921_600).default(9600).describe('baud rate of the converter\'s RS-485 side, for the frame gap'),
  }),
]);

export const meterSchema = z.strictObject({
  id: id.describe('unique device id, used in metrics, logs and records'),
  name: z.string().optional().describe('what staff call this meter, e.g. "厨房总表"'),
  profile: z.string().min(1).describe('meter profile name (see `canteen-edge meter profiles`, or one of `profiles:`)'),
  transport: tcpTransport.optional().describe('Modbus TCP: how to reach the meter (or its Modbus TCP gateway); give this or `bus`'),
  bus: z.string().optional().describe('the id of the RS-485 line in `buses:` the meter is on (Modbus RTU or DL/T 645); give this or `transport`'),
  unit_id: z.number().int().min(1).max(247).default(1).describe('Modbus unit (slave) id'),
  address: z
    .string()
    .regex(/^\d+$/, 'digits, as printed on the meter')
    .optional()
    .describe('DL/T 645 meters: the meter address (12 digits); CJ/T 188 water and gas meters: 14 digits'),
  ratios: z
    .strictObject({
      current: z.number().positive().optional().describe('CT ratio, e.g. 40 for 200/5 A'),
      voltage: z.number().positive().optional().describe('PT ratio, e.g. 100 for 10 kV/100 V'),
    })
    .optional()
    .describe('CT/PT ratios of a meter that reports secondary values (profiles with `ratios`, e.g. dtsu666): used instead of the ratio registers'),
  poll_ms: z.number().int().min(100).max(3_600_000).default(1000).describe('poll interval in ms'),
  timeout_ms: z.number().int().min(50).max(60_000).default(1000).describe('reply timeout in ms'),
  required: z.boolean().default(false).describe('when true, /readyz answers 503 while this meter is not online'),
  medium: z.enum(['electricity', 'water', 'gas']).optional().describe('what it meters; default the profile\'s `medium` (gas profiles say gas), else from the counter\'s unit (kWh → electricity, m3 → water)'),
  counter: z.string().optional().describe('the cumulative point booked as consumption; default energy_import, else the profile\'s first counter'),
  max_rate_per_hour: z
    .number()
    .positive()
    .optional()
    .describe('the most the counter can advance in an hour (the rating: kW for kWh, m³/h for water); a bigger step is flagged as an anomaly'),
});

export const energySchema = z
  .strictObject({
    site_meters: z
      .array(z.string())
      .optional()
      .describe('meters whose sum is the site total (main incomers, the water main); default every meter. The others are sub-meters'),
    headcount: z.number().int().positive().optional().describe('people the site serves or employs, for per-person indicators'),
    floor_area_m2: z.number().positive().optional().describe('building floor area in m², for per-m² indicators'),
    factors: z
      .strictObject({
        electricity_kgce_per_kwh: z.number().positive().default(0.1229).describe('standard coal per kWh (equivalent value, GB/T 2589-2020 Appendix A)'),
        gas_kgce_per_m3: z
          .number()
          .positive()
          .default(1.33)
          .describe('standard coal per m³ of natural gas: GB/T 2589-2020 gives 1.1000–1.3300 by calorific value; 1.3300 is for 38 931 kJ/m³, the calorific value of gas_co2_kg_per_m3 (1.2143 was the 2008 edition)'),
        gas_co2_kg_per_m3: z
          .number()
          .positive()
          .default(2.165)
          .describe('direct CO₂ of burning 1 m³ of natural gas: 389.31 GJ/10⁴ m³ × 15.32 t C/TJ × 99 % oxidised × 44/12 (defaults of the NDRC GHG accounting guideline for public-building operators, 2015)'),
        grid_co2_t_per_mwh: z
          .number()
          .positive()
          .default(0.5617)
          .describe('grid emission factor, t CO₂/MWh (= kg/kWh): East China 2022 0.5617, national 0.5366 (MEE/NBS notice of 2024-12-20); 2023: East China 0.5500, national 0.5306'),
        grid_co2_source: z
          .string()
          .min(1)
          .default('生态环境部、国家统计局 2024-12-20 公告：2022 年华东区域电网平均二氧化碳排放因子')
          .describe('where grid_co2_t_per_mwh comes from, shown on /energy: change it with the factor'),
        gas_co2_source: z
          .string()
          .min(1)
          .default('天然气低位发热量 389.31 GJ/万m³ × 单位热值含碳量 15.32 tC/TJ × 碳氧化率 99%（《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》缺省值）')
          .describe('where gas_co2_kg_per_m3 comes from, shown on /energy'),
        coal_source: z
          .string()
          .min(1)
          .default('GB/T 2589-2020《综合能耗计算通则》附录 A')
          .describe('where the standard-coal coefficients come from, shown on /energy'),
      })
      .prefault({})
      .describe('conversion factors'),
    targets: z
      .strictObject({
        kgce_per_m2_year: z.number().positive().optional().default(5.66).describe('Zhejiang public institutions 2025 target: 5.66 kgce/m²'),
        kgce_per_person_year: z.number().positive().optional().default(144.5).describe('Zhejiang 2025 target: 144.50 kgce/person'),
        water_m3_per_person_year: z.number().positive().optional().default(31.66).describe('Zhejiang 2025 target: 31.66 m³/person'),
      })
      .prefault({})
      .describe('yearly targets the panel compares against'),
    groups: z
      .array(
        z.strictObject({
          id: id.describe('group id'),
          name: z.string().min(1).describe('shown on the panel, e.g. "厨房"'),
          sub_item: subItemCode.optional().describe('building-energy sub-item code: 01A00 lighting & sockets, 01B00 HVAC, 01D20 kitchen, 02000 water …'),
          meters: z.array(z.string()).min(1).describe('device ids of the meters in this group'),
        }),
      )
      .default([])
      .describe('buildings, floors or sub-items whose consumption is shown and reported together'),
    retention_days: z
      .strictObject({
        minute: z.number().int().positive().default(7).describe('keep 1-minute intervals this many days'),
        quarter: z.number().int().positive().default(92).describe('keep 15-minute intervals this many days'),
        hour: z.number().int().positive().default(800).describe('keep hourly intervals this many days'),
        day: z.number().int().positive().optional().describe('keep daily intervals this many days; default forever'),
      })
      .prefault({})
      .describe('history kept on the box; coarser intervals outlive finer ones'),
    baseload: z
      .strictObject({
        enabled: z.boolean().default(true).describe('flag electricity used while the canteen is closed above the learned night/holiday baseline'),
        opening_hours: z
          .array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, '"HH:MM-HH:MM", e.g. "06:00-20:00"'))
          .default(['06:00-20:00'])
          .describe('local times the canteen is open; everything else counts as closed'),
        closed_dates: z
          .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '"YYYY-MM-DD"'))
          .default([])
          .describe('local dates the canteen is closed all day (holidays, vacations)'),
        factor: z.number().min(1).default(1.5).describe('a closed quarter is flagged above baseline × factor + min_excess_kwh'),
        min_excess_kwh: z.number().min(0).default(0.1).describe('kWh per quarter hour above the baseline that is noise, not waste'),
        min_samples: z.number().int().min(4).default(16).describe('closed quarters (of the last 14 days) the learned baseline needs before anything is flagged'),
      })
      .prefault({})
      .describe('night and holiday base load: lights and kitchen equipment left on'),
    flush_ms: z.number().int().min(100).max(60_000).default(2000).describe('how often booked consumption is written to disk'),
  })
  .prefault({})
  .describe('energy and water accounting');

export const outboxSchema = z
  .strictObject({
    batch_size: z.number().int().min(1).max(10_000).default(500).describe('records per batch sent upstream'),
    readings_every_ms: z
      .number()
      .int()
      .min(0)
      .default(60_000)
      .describe('one instantaneous reading per meter per this interval goes upstream (0 = every poll); consumption always goes in full'),
    keep_delivered_hours: z.number().min(0).default(168).describe('acknowledged records stay this long for backfill requests, while the budget allows'),
    budget_mb: z
      .strictObject({
        total: z.number().positive().default(2048).describe('everything the outbox holds'),
        samples: z.number().positive().default(512).describe('instantaneous readings: thinned, then refused, when over'),
        events: z.number().positive().default(64).describe('device events: refused when over'),
        counters: z.number().positive().optional().describe('consumption intervals: never dropped; an alarm when over'),
        transactions: z.number().positive().optional().describe('payments: never dropped; an alarm when over'),
        alerts: z.number().positive().optional().describe('alerts: never dropped; an alarm when over'),
      })
      .prefault({})
      .describe('disk budget per data class, MB of payload'),
    min_free_disk_mb: z.number().min(0).default(200).describe('below this much free disk the outbox makes room as if over budget'),
  })
  .prefault({})
  .describe('store-and-forward of everything that goes upstream');

// The `uplinks[]` union is built from the uplink registry (gateway/uplink/registry.ts).
export { uplinkSchema };

export const scaleSchema = scaleDeviceSchema;

// the camera driver's own schema: files, RTSP, V4L2 and video files through ffmpeg, motion gating
export const cameraSchema = cameraConfigSchema;

export const configSchema = z.strictObject({
  site: z
    .strictObject({
      name: z.string().min(1).default('示例食堂 Demo canteen').describe('shown on every page'),
      timezone: z.string().default('Asia/Shanghai').describe('IANA zone for days, meals and display; data is stored in UTC'),
      processor: z
        .strictObject({
          name: z.string().min(1).max(120).optional().describe('the personal-information processor (个人信息处理者) named on the face-pay consent notice; default the site name'),
          contact: z.string().min(1).max(200).optional().describe('how a person reaches it (phone, office, e-mail), shown on the consent notice; until set, the notice says to ask at the service desk'),
        })
        .prefault({})
        .describe('who processes the diners\' personal information and how to reach them (PIPL arts. 17, 30)'),
    })
    .prefault({})
    .describe('the canteen or building this box serves'),
  server: z
    .strictObject({
      host: host.default('0.0.0.0').describe('address the HTTP server listens on'),
      port: port.default(8080).describe('HTTP and Socket.IO port (env CANTEEN_EDGE_PORT overrides)'),
      metrics_token: secret
        .optional()
        .describe('when set, GET /metrics needs `Authorization: Bearer <token>`; inline or `{file: PATH}`'),
      trust_proxy: z
        .union([z.boolean(), z.array(z.string().min(1)).min(1)])
        .default(false)
        .describe('behind a reverse proxy: take the client address (sign-in rate limit, audit log) from X-Forwarded-For — `true` trusts any proxy, or list the proxies\' addresses/CIDRs; false (the default): the address of the connection'),
    })
    .prefault({})
    .describe('the HTTP + Socket.IO service'),
  auth: authConfigSchema,
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('log level'),
    })
    .prefault({})
    .describe('structured logs (pino, JSON lines on stdout)'),
  paths: z
    .strictObject({
      data_dir: z
        .string()
        .default('./data')
        .describe('SQLite database and lowdb files; created on first start (env CANTEEN_EDGE_DATA_DIR overrides)'),
      models_dir: z
        .string()
        .optional()
        .describe('ONNX models and their manifests; default `<data_dir>/models` (env CANTEEN_EDGE_MODELS_DIR overrides)'),
    })
    .prefault({})
    .describe('where the box keeps its files; relative paths resolve against the config file\'s directory'),
  models: z
    .strictObject({
      trust_key: z
        .string()
        .min(1)
        .optional()
        .describe('Ed25519 public key (PEM text, or the path of a PEM file relative to the config): when set, `models import` and `models pull --mirror` refuse bundles and mirrors without a valid signature (`canteen-edge models sign`)'),
      mirror: z
        .string()
        .min(1)
        .optional()
        .describe('default mirror of `models pull`: a directory (USB stick) or an http(s) URL on the site\'s network; tried before the upstream sources'),
    })
    .prefault({})
    .describe('installing and updating the ONNX models (`canteen-edge models …`)'),
  simulators: z
    .strictObject({
      energy_meter: z
        .strictObject({
          enabled: z.boolean().default(false).describe('run the simulated meter'),
          host: host.default('127.0.0.1').describe('listen address'),
          port: port.default(5020).describe('Modbus TCP port it serves'),
          unit_id: z.number().int().min(1).max(247).default(1).describe('unit id it answers to'),
          base_load_kw: z.number().positive().max(10_000).default(18).describe('mean three-phase load in kW'),
          initial_energy_kwh: z.number().min(0).default(125_000).describe('import energy counter at start, kWh'),
        })
        .prefault({})
        .describe('an in-process Modbus TCP server speaking the Eastron SDM630 register map with moving values'),
      scale: z
        .strictObject({
          enabled: z.boolean().default(false).describe('run the simulated scale'),
          host: host.default('127.0.0.1').describe('listen address'),
          port: port.default(5021).describe('TCP port it streams on'),
          interval_ms: z.number().int().min(20).max(5000).default(200).describe('one line every interval'),
          plates_g: z
            .array(z.number().int().min(1).max(30_000))
            .min(1)
            .default([352, 418, 275, 506])
            .describe('weights of the plates it cycles through (what the scale shows, plate included), grams'),
          cycle_ms: z.number().int().min(500).max(600_000).default(8800).describe('one weighing cycle: empty, plate put down, stable, lifted'),
        })
        .prefault({})
        .describe('an in-process TCP server streaming continuous ASCII weight lines (`ST,GS,+0000.352kg`) through a weighing cycle'),
      province: z
        .strictObject({
          enabled: z.boolean().default(false).describe('run the provincial-service simulator in-process'),
          host: host.default('127.0.0.1').describe('listen address'),
          port: port.default(5030).describe('HTTP port it receives batches on (GET /report shows what it got)'),
          token: z.string().optional().describe('bearer token it requires'),
          hmac_key: z.string().optional().describe('signature key it verifies'),
          mqtt_url: z.string().regex(/^mqtts?:\/\//, 'mqtt://HOST[:PORT]').optional().describe('also take batches from this MQTT broker (subscribes to canteen-edge/+/+)'),
        })
        .prefault({})
        .describe('the provincial services, simulated: see `canteen-edge sim province`'),
      demo: z
        .strictObject({
          enabled: z.boolean().default(false).describe('add the demo dishes, meal cards DEMO0001 (PIN 1234) and DEMO0002 (frozen) once (needs simulators.scale); off: they are taken off sale and closed'),
        })
        .prefault({})
        .describe('a payable demo for the checkout (gateway/demo/seed.ts)'),
    })
    .prefault({})
    .describe('built-in simulators, for running without hardware'),
  buses: z.array(busSchema).default([]).describe('RS-485 lines, shared by every meter on them (Modbus RTU and DL/T 645 alike), one request at a time'),
  profiles: z
    .array(z.record(z.string(), z.unknown()))
    .default([])
    .describe('the site\'s own meter profiles, in the format of drivers/modbus/profiles/*.json (see drivers/modbus/README.md)'),
  energy: energySchema,
  canteen: canteenConfigSchema,
  payments: paymentsConfigSchema,
  biometrics: biometricsConfigSchema,
  kitchen: kitchenConfigSchema,
  food_safety: foodSafetyConfigSchema,
  kitchen_sensors: kitchenSensorsSchema,
  outbox: outboxSchema,
  uplinks: z.array(uplinkSchema).default([]).describe('where records go upstream'),
  devices: z
    .strictObject({
      meters: z.array(meterSchema).default([]).describe('energy and water meters'),
      scales: z.array(scaleSchema).default([]).describe('checkout scales'),
      cameras: z.array(cameraSchema).default([]).describe('cameras'),
    })
    .prefault({})
    .describe('the hardware this box talks to'),
});

export type Config = z.output<typeof configSchema>;
export type MeterConfig = z.output<typeof meterSchema>;
export type BusConfig = z.output<typeof busSchema>;
export type ScaleConfig = z.output<typeof scaleSchema>;
export type CameraConfig = z.output<typeof cameraSchema>;
export type EnergyConfig = z.output<typeof energySchema>;
export type OutboxConfig = z.output<typeof outboxSchema>;
export type UplinkConfig = z.output<typeof uplinkSchema>;
export type Secret = z.output<typeof secret>;
