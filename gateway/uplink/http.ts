// HTTPS JSON batches: one POST per batch to the stream's endpoint, gzip, a bearer
// token, an HMAC-SHA256 signature over timestamp and body, and the batch id as the
// idempotency key. 2xx = taken (with per-record rejections, backfill requests);
// 400/413/415/422 = the batch itself is malformed (dead-lettered); anything else —
// 401/403 (a token problem), 404 (a wrong URL), 408, 429, 5xx, no answer — is
// retried, so a configuration mistake never turns data into dead letters.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { z } from 'zod';
import { backoff, id, secret, streamName } from '../config/shapes.ts';
import type { StoredRecord } from '../outbox/outbox.ts';
import { STREAM_NAMES, type Stream } from '../wire/streams.ts';
import { deadline } from './deadline.ts';
import { uplinkEntry } from './entry.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './signing.ts';
import { BatchRejected, type SendResult, type Uplink } from './uplink.ts';

const gzipAsync = promisify(gzip);
const MALFORMED = new Set([400, 413, 415, 422]);

export const httpUplinkSchema = z.strictObject({
  id: id.describe('uplink id'),
  type: z.literal('http').describe('HTTPS JSON batches'),
  url: z.string().regex(/^https?:\/\//, 'an http:// or https:// URL').describe('endpoint; {stream} is replaced by the stream name'),
  streams: z.array(streamName).min(1).default([...STREAM_NAMES]).describe('streams sent on this uplink'),
  token: secret.optional().describe('bearer token; inline or {file: PATH}'),
  hmac_key: secret.optional().describe('key of the HMAC-SHA256 signature header; inline or {file: PATH}'),
  timeout_ms: z.number().int().min(100).default(15_000).describe('answer timeout per batch'),
  backoff,
});

export interface HttpUplinkOptions {
  id: string;
  /** endpoint; `{stream}` is replaced by the stream name */
  url: string;
  streams: Stream[];
  token?: string;
  hmacKey?: string;
  timeoutMs: number;
  boxId: string;
}

export interface HttpBatch {
  box: string;
  stream: Stream;
  batch: string;
  records: { id: string; seq: number; at: number; payload: unknown }[];
}

export class HttpUplink implements Uplink {
  readonly id: string;
  readonly streams: Stream[];

  constructor(private readonly opts: HttpUplinkOptions) {
    this.id = opts.id;
    this.streams = opts.streams;
  }

  async send(stream: Stream, batch: StoredRecord[], batchId: string, signal: AbortSignal): Promise<SendResult> {
    // Payloads are stored as JSON text: spliced in as they are, never re-parsed.
    const records = batch.map((r) => `{"id":${JSON.stringify(r.id)},"seq":${r.seq},"at":${r.at},"payload":${r.json}}`).join(',');
    const json = `{"box":${JSON.stringify(this.opts.boxId)},"stream":${JSON.stringify(stream)},"batch":${JSON.stringify(batchId)},"records":[${records}]}`;
    const body = await gzipAsync(Buffer.from(json));
    const timestamp = String(Date.now());
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'idempotency-key': batchId,
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (this.opts.hmacKey) headers[SIGNATURE_HEADER] = sign(this.opts.hmacKey, timestamp, body);
    const url = this.opts.url.replaceAll('{stream}', stream);
    // The deadline covers the answer's body too: a receiver that sends headers and then stalls is a hung request.
    const limit = deadline(this.opts.timeoutMs, signal);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: limit.signal });
      text = await res.text().catch((err: Error) => {
        if (limit.expired) throw err;
        return '';
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw new Error(`POST ${url}: ${limit.expired ? `no answer within ${this.opts.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message)}`);
    } finally {
      limit.done();
    }
    if (res.ok) {
      const answer = safeJson(text) as SendResult | undefined;
      return { rejected: answer?.rejected ?? [], backfill: answer?.backfill ?? [] };
    }
    const reason = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (MALFORMED.has(res.status)) throw new BatchRejected(reason);
    throw new Error(`POST ${url}: ${reason}`);
  }

  async close(): Promise<void> {}
}

/** The registry's entry (gateway/uplink/registry.ts). */
export const httpUplink = uplinkEntry({
  schema: httpUplinkSchema,
  secretKeys: ['token', 'hmac_key'],
  create: (u, { boxId }) => new HttpUplink({ id: u.id, url: u.url, streams: u.streams, token: u.token, hmacKey: u.hmac_key, timeoutMs: u.timeout_ms, boxId }),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
