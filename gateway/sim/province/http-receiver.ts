// The simulator's HTTP side: takes the HTTP uplink's batches, checks the bearer
// token and the HMAC signature, de-duplicates, and can be told to misbehave.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from '../../uplink/signing.ts';
import type { Ledger } from './ledger.ts';

export type FaultMode =
  | { mode: 'ok' }
  | { mode: 'error'; status: number } // answer every batch with this status (5xx: retried; 4xx: dead-lettered)
  | { mode: 'hang' } // never answer (the sender's timeout fires)
  | { mode: 'slow'; delayMs: number }
  | { mode: 'reset' } // drop the connection without answering
  | { mode: 'reject-record'; idPattern: string }; // take the batch but refuse matching records

export interface HttpReceiverOptions {
  token?: string;
  hmacKey?: string;
  /** how far a signature's timestamp may be from now */
  maxSkewMs?: number;
}

export class HttpReceiver {
  fault: FaultMode = { mode: 'ok' };
  /** ranges to ask the sender for again, with the next batch taken */
  backfillRequests: { stream: string; fromSeq: number; toSeq: number }[] = [];
  readonly server: http.Server;
  private readonly hung = new Set<http.ServerResponse>();
  /** batches received, by outcome, for the report */
  readonly batches = { taken: 0, refusedAuth: 0, refusedSignature: 0, faulted: 0 };

  constructor(
    private readonly ledger: Ledger,
    private readonly opts: HttpReceiverOptions,
    private readonly extraRoutes: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => boolean,
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    if (this.extraRoutes(req, res, body)) return;
    const m = /^\/ingest\/([a-z]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return json(res, 404, { error: 'not found' });
    if (this.opts.token && req.headers.authorization !== `Bearer ${this.opts.token}`) {
      this.batches.refusedAuth += 1;
      return json(res, 401, { error: 'bad or missing bearer token' });
    }
    if (this.opts.hmacKey) {
      const ts = String(req.headers[TIMESTAMP_HEADER] ?? '');
      const sig = String(req.headers[SIGNATURE_HEADER] ?? '');
      const skew = Math.abs(Date.now() - Number(ts));
      if (!ts || !(skew <= (this.opts.maxSkewMs ?? 300_000)) || !verify(this.opts.hmacKey, ts, body, sig)) {
        this.batches.refusedSignature += 1;
        return json(res, 401, { error: 'bad signature or timestamp' });
      }
    }
    const f = this.fault;
    if (f.mode === 'error') {
      this.batches.faulted += 1;
      return json(res, f.status, { error: `simulated ${f.status}` });
    }
    if (f.mode === 'hang') {
      this.batches.faulted += 1;
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    if (f.mode === 'reset') {
      this.batches.faulted += 1;
      req.socket.destroy();
      return;
    }
    let batch: { stream: string; records: { id: string; seq: number; at: number; payload: unknown }[] };
    try {
      const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      batch = JSON.parse(raw.toString('utf8'));
      if (batch.stream !== m[1] || !Array.isArray(batch.records)) throw new Error('stream or records missing');
    } catch (err) {
      return json(res, 400, { error: `malformed batch: ${(err as Error).message}` });
    }
    const answer = () => {
      const rejectedIds = f.mode === 'reject-record' ? batch.records.filter((r) => r.id.includes(f.idPattern)).map((r) => r.id) : [];
      this.ledger.take(batch.stream, batch.records, 'http', new Set(rejectedIds));
      this.batches.taken += 1;
      const backfill = this.backfillRequests.splice(0);
      json(res, 200, { accepted: batch.records.length - rejectedIds.length, rejected: rejectedIds.map((id) => ({ id, reason: 'simulated rejection' })), backfill });
    };
    if (f.mode === 'slow') setTimeout(answer, f.delayMs);
    else answer();
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as { port: number }).port));
    });
  }

  close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
