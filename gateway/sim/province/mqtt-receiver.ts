// The simulator's MQTT side: a subscriber with a persistent QoS 1 session (so
// the broker queues batches for it while it is away), handing each batch's
// records to the ledger, which de-duplicates them. A message is acknowledged
// (PUBACK) only after its records are in the ledger; a malformed one is counted
// and acknowledged too, since sending it again would not mend it.
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Ledger, ReceivedRecord } from './ledger.ts';

export const DEFAULT_RECEIVER_TOPIC = 'canteen-edge/+/+';

export interface MqttReceiverOptions {
  /** mqtt:// or mqtts:// broker URL */
  url: string;
  /** topic filter subscribed to; default canteen-edge/+/+ */
  topic?: string;
  /** stable across restarts, so the broker keeps the session; default canteen-edge-province-sim */
  clientId?: string;
  username?: string;
  password?: string;
  /** how long the broker keeps the session (and queues for it) while disconnected; default 7 days */
  sessionExpiryS?: number;
  /** how long start() waits for the broker; default 10 s */
  connectTimeoutMs?: number;
  reconnectMs?: number;
}

export class MqttReceiver {
  /** messages received, by outcome, for the report */
  readonly batches = { taken: 0, records: 0, malformed: 0 };
  lastMalformed: string | null = null;
  private client: MqttClient | undefined;
  readonly topic: string;
  readonly clientId: string;

  constructor(
    private readonly ledger: Ledger,
    private readonly opts: MqttReceiverOptions,
  ) {
    this.topic = opts.topic ?? DEFAULT_RECEIVER_TOPIC;
    this.clientId = opts.clientId ?? 'canteen-edge-province-sim';
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects and subscribes; resolves once the subscription is confirmed. Queued messages may arrive before that. */
  async start(): Promise<void> {
    if (this.client) throw new Error('MQTT receiver already started');
    const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: this.clientId,
      clean: false,
      properties: { sessionExpiryInterval: this.opts.sessionExpiryS ?? 7 * 24 * 3600 },
      connectTimeout: timeoutMs,
      reconnectPeriod: this.opts.reconnectMs ?? 1000,
      username: this.opts.username,
      password: this.opts.password,
    };
    const client = connect(this.opts.url, options);
    this.client = client;
    // Attached before the connection is up: a resumed session delivers what was queued right after CONNACK.
    client.on('message', (_topic, payload) => this.take(payload));
    let lastError = '';
    client.on('error', (err) => {
      lastError = err.message || (err as NodeJS.ErrnoException).code || String(err);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no connection to ${this.opts.url} within ${timeoutMs} ms${lastError ? `: ${lastError}` : ''}`)), timeoutMs);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const granted = await client.subscribeAsync(this.topic, { qos: 1 });
      const refused = granted.find((g) => g.qos !== 1);
      if (refused) throw new Error(`subscription to ${this.topic} granted QoS ${refused.qos}; expected 1`);
    } catch (err) {
      this.client = undefined;
      client.end(true);
      throw err;
    }
  }

  /** Disconnects cleanly; the broker keeps the session and queues for it until start() again. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const connected = client.connected;
    await Promise.race([client.endAsync(!connected).catch(() => {}), new Promise((r) => setTimeout(r, connected ? 2000 : 200).unref())]);
    if (!client.disconnected) client.end(true);
  }

  report() {
    return { ...this.batches, connected: this.connected, topic: this.topic, lastMalformed: this.lastMalformed };
  }

  private take(payload: Buffer): void {
    let batch: { stream: string; records: ReceivedRecord[] };
    try {
      batch = JSON.parse(payload.toString('utf8'));
      if (typeof batch !== 'object' || batch === null) throw new Error('not a JSON object');
      if (typeof batch.stream !== 'string' || !batch.stream) throw new Error('stream missing');
      if (!Array.isArray(batch.records)) throw new Error('records missing');
      for (const r of batch.records) {
        if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !Number.isInteger(r.seq) || r.seq < 1 || typeof r.at !== 'number' || !('payload' in r)) {
          throw new Error(`record ${JSON.stringify(r)?.slice(0, 80)} is not {id, seq, at, payload}`);
        }
      }
    } catch (err) {
      this.batches.malformed += 1;
      this.lastMalformed = `malformed batch: ${(err as Error).message}`;
      return;
    }
    this.ledger.take(batch.stream, batch.records, 'mqtt');
    this.batches.taken += 1;
    this.batches.records += batch.records.length;
  }
}
