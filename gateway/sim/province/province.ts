// `canteen-edge sim province`: a stand-in for the provincial services. It takes
// the uplinks' batches, verifies and de-duplicates them, reports what it got on
// GET /report, and can be told to fail through POST /control.
import type http from 'node:http';
import { HttpReceiver, json, type FaultMode, type HttpReceiverOptions } from './http-receiver.ts';
import { Ledger } from './ledger.ts';
import { Jgj285Receiver, type Jgj285Fault, type Jgj285ReceiverOptions } from './jgj285-receiver.ts';
import { MqttReceiver, type MqttReceiverOptions } from './mqtt-receiver.ts';

export interface ProvinceSimOptions extends HttpReceiverOptions {
  host: string;
  httpPort: number;
  /** also take batches from this MQTT broker */
  mqtt?: MqttReceiverOptions;
  /** also take building-energy (JGJ/T 285 family) reports over TCP */
  jgj285?: Jgj285ReceiverOptions;
}

export class ProvinceSim {
  readonly ledger = new Ledger();
  readonly http: HttpReceiver;
  readonly mqtt: MqttReceiver | undefined;
  readonly jgj285: Jgj285Receiver | undefined;
  httpPort = 0;

  constructor(private readonly opts: ProvinceSimOptions) {
    this.http = new HttpReceiver(this.ledger, opts, (req, res, body) => this.control(req, res, body));
    this.mqtt = opts.mqtt && new MqttReceiver(this.ledger, opts.mqtt);
    this.jgj285 = opts.jgj285 && new Jgj285Receiver(this.ledger, opts.jgj285);
  }

  async start(): Promise<void> {
    this.httpPort = await this.http.listen(this.opts.httpPort, this.opts.host);
    try {
      await this.mqtt?.start();
      await this.jgj285?.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.jgj285?.stop();
    await this.mqtt?.stop();
    return this.http.close();
  }

  report() {
    return { streams: this.ledger.report(), http: { ...this.http.batches, fault: this.http.fault }, ...(this.mqtt && { mqtt: this.mqtt.report() }), ...(this.jgj285 && { jgj285: this.jgj285.report() }) };
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
    if (req.method === 'POST' && req.url === '/control/jgj285') {
      // {fault?: Jgj285Fault, clockSkewMs?: number}: how the building-energy receiver behaves from now on
      try {
        if (!this.jgj285) throw new Error('no jgj285 receiver (start with --jgj-port)');
        const r = JSON.parse(body.toString('utf8')) as { fault?: Jgj285Fault; clockSkewMs?: number };
        const modes = ['ok', 'reset-after-take', 'reset', 'hang', 'refuse', 'odd-answer', 'garble', 'prefix'];
        if (r.fault !== undefined && !modes.includes(r.fault.mode)) throw new Error(`fault.mode must be one of ${modes.join(', ')}`);
        if (r.clockSkewMs !== undefined && !Number.isFinite(r.clockSkewMs)) throw new Error('clockSkewMs: expected a number of ms');
        if (r.fault) this.jgj285.fault = r.fault;
        if (r.clockSkewMs !== undefined) this.jgj285.clockSkewMs = r.clockSkewMs;
        json(res, 200, { ok: true, ...this.jgj285.report() });
      } catch (err) {
        json(res, 400, { error: (err as Error).message });
      }
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
