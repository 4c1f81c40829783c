// MQTT 5 batches: one QoS 1 PUBLISH per batch to the stream's topic, the same
// JSON body as the HTTP uplink ({box, stream, batch, records}), the batch id also
// as a user property. A batch counts as delivered when the broker acknowledged it
// (PUBACK); while the connection is down a send fails at once, so the forwarder
// backs off and the outbox keeps the records: the outbox is the only retry
// queue, the library is never left to resend a batch on its own after a
// reconnect. The session is persistent (clean start off, a stable client id) and
// the library reconnects by itself.
//
// A PUBACK means the broker took the message, not that the province has it: the
// province's subscriber must hold a persistent QoS 1 session so the broker queues
// for it while it is away. A PUBACK saying "no matching subscribers" (0x10) is
// counted in `stats.noSubscribers`: the broker took the batch but nobody will get it.
import { readFileSync } from 'node:fs';
import { ReasonCodes, connect, type ErrorWithReasonCode, type IClientOptions, type IClientPublishOptions, type MqttClient, type Packet } from 'mqtt';
import { z } from 'zod';
import { backoff, id, secret, streamName } from '../config/shapes.ts';
import type { StoredRecord } from '../outbox/outbox.ts';
import { STREAM_NAMES, type Stream } from '../wire/streams.ts';
import { uplinkEntry } from './entry.ts';
import { BatchRejected, type SendResult, type Uplink } from './uplink.ts';

export const DEFAULT_TOPIC = 'canteen-edge/{box}/{stream}';

export const mqttUplinkSchema = z.strictObject({
  id: id.describe('uplink id'),
  type: z.literal('mqtt').describe('MQTT 5 batches, QoS 1, persistent session'),
  url: z
    .string()
    .regex(/^mqtts?:\/\/[^/]+\/?$/, 'an mqtt:// or mqtts:// URL with a host and optional port, e.g. mqtts://broker.example.cn:8883')
    .describe('broker; mqtts:// for TLS (default port 1883, or 8883 with TLS)'),
  streams: z.array(streamName).min(1).default([...STREAM_NAMES]).describe('streams sent on this uplink'),
  client_id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", at most 128 characters')
    .optional()
    .describe('MQTT client id, stable across restarts so the broker keeps the session; default canteen-edge-<box id>. Two uplinks to one broker need different ids'),
  topic: z
    .string()
    .min(1)
    .refine((t) => !/[+#\0]/.test(t), 'no "+", "#" or NUL: a topic to publish to, not a filter')
    .default(DEFAULT_TOPIC)
    .describe('topic per stream; {box} is replaced by the box id, {stream} by the stream name'),
  username: z.string().min(1).optional().describe('user name for the broker'),
  password: secret.optional().describe('password for the broker; inline or {file: PATH}'),
  ca_file: z.string().min(1).optional().describe('PEM file of the CA that signed the broker\'s certificate (mqtts://); default the system CAs'),
  keepalive_s: z.number().int().min(0).max(65_535).default(60).describe('MQTT keep-alive in seconds (0 = none)'),
  timeout_ms: z.number().int().min(100).default(15_000).describe('connect timeout, and how long a batch may wait for its PUBACK'),
  backoff,
});

/** The uplink config as the gateway hands it over: the password read. */
export type MqttUplinkConfig = Omit<z.output<typeof mqttUplinkSchema>, 'password'> & { password?: string };

export interface MqttUplinkOptions {
  id: string;
  /** mqtt:// or mqtts:// */
  url: string;
  streams: Stream[];
  boxId: string;
  /** default `canteen-edge-<boxId>` */
  clientId?: string;
  /** `{box}` and `{stream}` are replaced; default canteen-edge/{box}/{stream} */
  topic?: string;
  username?: string;
  password?: string;
  /** PEM CA certificate file for mqtts:// */
  caFile?: string;
  keepaliveS?: number;
  /** connect timeout, and how long a publish waits for its PUBACK */
  timeoutMs: number;
  /** how often the library tries to reconnect; default 1000 ms */
  reconnectMs?: number;
  /** how long the broker keeps the session while disconnected; default 7 days */
  sessionExpiryS?: number;
}

const PAYLOAD_FORMAT_INVALID = 0x99;
const NO_MATCHING_SUBSCRIBERS = 0x10;
const WEEK_S = 7 * 24 * 3600;

export class MqttUplink implements Uplink {
  readonly id: string;
  readonly streams: Stream[];
  readonly clientId: string;
  readonly stats = { published: 0, acknowledged: 0, noSubscribers: 0, failed: 0, connects: 0, resets: 0 };
  private readonly client: MqttClient;
  private readonly topics = new Map<Stream, string>();
  /** sends waiting for their PUBACK, failed together when the connection drops */
  private readonly waiting = new Set<(reason: string) => void>();
  private readonly firstAttempt: Promise<void>;
  private error: string | null = null;
  private closed = false;
  /** PUBACK reason codes by message id: the library hands the publish callback the stored PUBLISH, not the PUBACK */
  private readonly pubacks = new Map<number, number>();

  constructor(private readonly opts: MqttUplinkOptions) {
    this.id = opts.id;
    this.streams = opts.streams;
    this.clientId = opts.clientId ?? `canteen-edge-${opts.boxId}`;
    for (const stream of opts.streams) {
      const topic = (opts.topic ?? DEFAULT_TOPIC).replaceAll('{box}', opts.boxId).replaceAll('{stream}', stream);
      if (/[+#\0]/.test(topic) || !topic) throw new Error(`MQTT uplink ${opts.id}: topic "${topic}" for ${stream} is not a topic one can publish to`);
      this.topics.set(stream, topic);
    }
    let ca: Buffer | undefined;
    if (opts.caFile) {
      try {
        ca = readFileSync(opts.caFile);
      } catch (err) {
        throw new Error(`MQTT uplink ${opts.id}: cannot read CA file ${opts.caFile} (${(err as NodeJS.ErrnoException).code})`);
      }
    }
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: this.clientId,
      clean: false,
      // MQTT 5: without an expiry the broker drops the session when the connection closes
      properties: { sessionExpiryInterval: opts.sessionExpiryS ?? WEEK_S },
      keepalive: opts.keepaliveS ?? 60,
      connectTimeout: opts.timeoutMs,
      reconnectPeriod: opts.reconnectMs ?? 1000,
      resubscribe: false,
      queueQoSZero: false,
      username: opts.username,
      password: opts.password,
      ...(ca ? { ca } : {}),
    };
    this.client = connect(opts.url, options);
    this.client.on('connect', () => {
      this.stats.connects += 1;
      this.error = null;
    });
    this.client.on('error', (err) => {
      this.error = err.message || (err as NodeJS.ErrnoException).code || String(err);
    });
    this.client.on('disconnect', (packet) => {
      const code = packet.reasonCode ?? 0;
      const text = packet.properties?.reasonString ?? (ReasonCodes as Record<number, string>)[code] ?? 'no reason given';
      this.error = `broker disconnected us: ${text} (0x${code.toString(16).padStart(2, '0')})`;
    });
    this.client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined && this.client.outgoing[packet.messageId]) this.pubacks.set(packet.messageId, packet.reasonCode ?? 0);
    });
    this.client.on('close', () => {
      this.pubacks.clear();
      for (const fail of [...this.waiting]) fail(`connection lost${this.error ? ` (${this.error})` : ''}`);
    });
    this.firstAttempt = new Promise((resolve) => {
      this.client.once('connect', () => resolve());
      this.client.once('close', () => resolve());
    });
  }

  /** Whether the broker connection is up. */
  get connected(): boolean {
    return this.client.connected;
  }

  /** Why the connection last failed, while it is down. */
  get lastError(): string | null {
    return this.connected ? null : this.error;
  }

  async send(stream: Stream, batch: StoredRecord[], batchId: string, signal: AbortSignal): Promise<SendResult> {
    const topic = this.topics.get(stream);
    if (!topic) throw new Error(`MQTT uplink ${this.id} does not take stream ${stream}`);
    if (signal.aborted) throw new Error(`publish to ${topic}: aborted`);
    await this.ready(signal);
    // Payloads are stored as JSON text: spliced in as they are, never re-parsed.
    const records = batch.map((r) => `{"id":${JSON.stringify(r.id)},"seq":${r.seq},"at":${r.at},"payload":${r.json}}`).join(',');
    const body = Buffer.from(`{"box":${JSON.stringify(this.opts.boxId)},"stream":${JSON.stringify(stream)},"batch":${JSON.stringify(batchId)},"records":[${records}]}`);
    const max = this.client.serverProperties?.maximumPacketSize;
    const size = body.length + Buffer.byteLength(topic) + Buffer.byteLength(batchId) + Buffer.byteLength(this.opts.boxId) + 64;
    if (max && size > max) {
      // not dead-lettered: the data is fine, the batch size does not fit this broker
      throw new Error(`publish to ${topic}: a batch of ${batch.length} records is about ${size} bytes, the broker takes at most ${max}; lower outbox.batch_size`);
    }
    const reasonCode = await this.publish(topic, body, { batch: batchId, box: this.opts.boxId }, signal);
    if (reasonCode === NO_MATCHING_SUBSCRIBERS) this.stats.noSubscribers += 1;
    return { rejected: [], backfill: [] };
  }

  onReady(listener: () => void): void {
    this.client.on('connect', listener);
  }

  /** Drops the connection (the library connects again after reconnectMs); what waits for a PUBACK fails now. */
  reset(reason: string): void {
    if (this.closed || !this.client.connected) return;
    this.error = `reset: ${reason}`;
    this.stats.resets += 1;
    this.client.stream.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const fail of [...this.waiting]) fail('uplink closed');
    const connected = this.client.connected;
    // A forced end of a client whose socket is already closed may never call back.
    await Promise.race([this.client.endAsync(!connected).catch(() => {}), new Promise((r) => setTimeout(r, connected ? 2000 : 200).unref())]);
    if (!this.client.disconnected) this.client.end(true);
  }

  /** Resolves when connected; throws at once while disconnected, except during the very first connection attempt. */
  private async ready(signal: AbortSignal): Promise<void> {
    if (this.client.connected) return;
    if (this.closed) throw new Error(`MQTT uplink ${this.id} is closed`);
    if (this.stats.connects === 0) {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      await Promise.race([
        this.firstAttempt,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.opts.timeoutMs);
          onAbort = () => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (signal.aborted) throw new Error(`connect to ${this.opts.url}: aborted`);
    }
    if (!this.client.connected) throw new Error(`not connected to ${this.opts.url}${this.error ? `: ${this.error}` : ''}`);
  }

  /** Publishes at QoS 1; resolves with the PUBACK's reason code. */
  private publish(topic: string, body: Buffer, userProperties: Record<string, string>, signal: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, reasonCode = 0) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiting.delete(fail);
        if (err) {
          this.stats.failed += 1;
          reject(err);
        } else {
          this.stats.acknowledged += 1;
          resolve(reasonCode);
        }
      };
      const acked = (err?: Error, packet?: Packet) => {
        const messageId = packet?.messageId;
        const reasonCode = messageId === undefined ? undefined : this.pubacks.get(messageId);
        if (messageId !== undefined) this.pubacks.delete(messageId);
        if (!err) return finish(undefined, reasonCode);
        if ((err as ErrorWithReasonCode).code === PAYLOAD_FORMAT_INVALID) return finish(new BatchRejected(`broker refused the batch: ${err.message}`));
        finish(new Error(`publish to ${topic}: ${err.message}`));
      };
      const fail = (reason: string) => {
        if (settled) return;
        finish(new Error(`publish to ${topic}: ${reason}`));
        // The forwarder sends this batch again from the outbox: the library must not also resend it after a reconnect.
        const held = Object.entries(this.client.outgoing).find(([, o]) => o.cb === acked);
        if (held) this.client.removeOutgoingMessage(Number(held[0]));
      };
      const onAbort = () => fail('aborted');
      const timer = setTimeout(() => fail(`no PUBACK within ${this.opts.timeoutMs} ms`), this.opts.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(fail);
      const options: IClientPublishOptions = {
        qos: 1,
        properties: { userProperties, contentType: 'application/json', payloadFormatIndicator: true },
      };
      this.stats.published += 1;
      try {
        this.client.publish(topic, body, options, acked);
      } catch (err) {
        finish(new Error(`publish to ${topic}: ${(err as Error).message}`));
      }
    });
  }
}

export function createMqttUplink(config: MqttUplinkConfig, boxId: string): MqttUplink {
  return new MqttUplink({
    id: config.id,
    url: config.url,
    streams: config.streams,
    boxId,
    clientId: config.client_id,
    topic: config.topic,
    username: config.username,
    password: config.password,
    caFile: config.ca_file,
    keepaliveS: config.keepalive_s,
    timeoutMs: config.timeout_ms,
  });
}

/** The registry's entry (gateway/uplink/registry.ts). */
export const mqttUplink = uplinkEntry({
  schema: mqttUplinkSchema,
  secretKeys: ['password'],
  pathKeys: ['ca_file'],
  create: (u, { boxId }) => createMqttUplink(u, boxId),
});
