// `canteen-edge sim province`: a stand-in for the provincial services. It takes
// the uplinks' batches, verifies and de-duplicates them, reports what it got on
// GET /report, and can be told to fail through POST /control.
import type http from 'node:http';
import { HttpReceiver, json, type FaultMode, type HttpReceiverOptions } from './http-receiver.ts';
import { Ledger } from './ledger.ts';

export interface ProvinceSimOptions extends HttpReceiverOptions {
  host: string;
  httpPort: number;
}

export class ProvinceSim {
  readonly ledger = new Ledger();
  readonly http: HttpReceiver;
  httpPort = 0;

  constructor(private readonly opts: ProvinceSimOptions) {
    this.http = new HttpReceiver(this.ledger, opts, (req, res, body) => this.control(req, res, body));
  }

  async start(): Promise<void> {
    this.httpPort = await this.http.listen(this.opts.httpPort, this.opts.host);
  }

  stop(): Promise<void> {
    return this.http.close();
  }

  report() {
    return { streams: this.ledger.report(), http: { ...this.http.batches, fault: this.http.fault } };
  }

  private control(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): boolean {
    if (req.method === 'GET' && req.url === '/report') {
      json(res, 200, this.report());
      return true;
    }
    const ids = /^\/ids\/([a-z]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && ids) {
      json(res, 200, this.ledger.ids(ids[1]!));
      return true;
    }
    if (req.method === 'POST' && req.url === '/backfill') {
      try {
        const r = JSON.parse(body.toString('utf8')) as { stream: string; fromSeq: number; toSeq: number };
        if (typeof r.stream !== 'string' || !Number.isInteger(r.fromSeq) || !Number.isInteger(r.toSeq)) throw new Error('expected {stream, fromSeq, toSeq}');
        this.http.backfillRequests.push(r);
        json(res, 200, { ok: true });
      } catch (err) {
        json(res, 400, { error: (err as Error).message });
      }
      return true;
    }
    if (req.method === 'POST' && req.url === '/reset') {
      this.ledger.reset();
      json(res, 200, { ok: true });
      return true;
    }
    if (req.method === 'POST' && req.url === '/control') {
      try {
        const fault = JSON.parse(body.toString('utf8')) as FaultMode;
        const valid = ['ok', 'error', 'hang', 'slow', 'reset', 'reject-record'].includes(fault.mode);
        if (!valid) throw new Error(`mode must be one of ok, error, hang, slow, reset, reject-record`);
        this.http.fault = fault;
        json(res, 200, { ok: true, fault });
      } catch (err) {
        json(res, 400, { error: (err as Error).message });
      }
      return true;
    }
    return false;
  }
}
