// The one config file, as a schema. Every key has a description: docs/config.md
// is generated from this file (`npm run docs:config`) and a test keeps them in step.
// Objects are strict: an unknown key is an error, so a typo never passes silently.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');

/** A secret: given inline, or `{ file: PATH }` read at load time (trailing newline trimmed). */
export const secret = z.union([
  z.string().min(1),
  z.strictObject({ file: z.string().min(1).describe('path of a file holding the secret') }),
]);

const tcpTransport = z.strictObject({
  type: z.literal('tcp').describe('Modbus TCP (MBAP) or a raw TCP stream'),
  host: host.describe('address of the device or converter'),
  port: port.describe('TCP port'),
});

export const meterSchema = z.strictObject({
  id: id.describe('unique device id, used in metrics, logs and records'),
  name: z.string().optional().describe('what staff call this meter, e.g. "厨房总表"'),
  profile: z.string().min(1).describe('meter profile name (see `canteen-edge meter profiles`)'),
  transport: tcpTransport.describe('how to reach the meter'),
  unit_id: z.number().int().min(1).max(247).default(1).describe('Modbus unit (slave) id'),
  poll_ms: z.number().int().min(100).max(3_600_000).default(1000).describe('poll interval in ms'),
  timeout_ms: z.number().int().min(50).max(60_000).default(1000).describe('reply timeout in ms'),
  required: z.boolean().default(false).describe('when true, /readyz answers 503 while this meter is not online'),
});

export const scaleSchema = z.strictObject({
  id: id.describe('unique device id (usually the checkout station)'),
  protocol: z.enum(['continuous']).describe('scale line protocol: continuous = ASCII stream like `ST,GS,+0001.234kg`'),
  transport: tcpTransport.describe('how to reach the scale indicator'),
  timeout_ms: z.number().int().min(100).max(60_000).default(3000).describe('silence after which the scale is reported offline'),
  required: z.boolean().default(false).describe('when true, /readyz answers 503 while this scale is not online'),
});

export const cameraSchema = z.strictObject({
  id: id.describe('unique camera id'),
  source: z
    .strictObject({
      type: z.literal('files').describe('image files from a directory, in name order, looped'),
      path: z.string().min(1).describe('directory of JPEG/PNG/SVG images (relative to the config file)'),
    })
    .describe('where frames come from'),
  fps: z.number().positive().max(30).default(1).describe('frames per second'),
  width: z.number().int().min(16).max(4096).default(640).describe('frame width in pixels (frames are resized to fit)'),
  height: z.number().int().min(16).max(4096).default(360).describe('frame height in pixels'),
  required: z.boolean().default(false).describe('when true, /readyz answers 503 while this camera is not online'),
});

export const configSchema = z.strictObject({
  site: z
    .strictObject({
      name: z.string().min(1).default('示例食堂 Demo canteen').describe('shown on every page'),
      timezone: z.string().default('Asia/Shanghai').describe('IANA zone for days, meals and display; data is stored in UTC'),
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
    })
    .prefault({})
    .describe('the HTTP + Socket.IO service'),
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
            .describe('net weights of the plates it cycles through, grams'),
        })
        .prefault({})
        .describe('an in-process TCP server streaming continuous ASCII weight lines (`ST,GS,+0000.352kg`) through a weighing cycle'),
    })
    .prefault({})
    .describe('built-in simulators, for running without hardware'),
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
export type ScaleConfig = z.output<typeof scaleSchema>;
export type CameraConfig = z.output<typeof cameraSchema>;
export type Secret = z.output<typeof secret>;
