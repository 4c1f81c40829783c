// The building-energy monitoring upload (JGJ/T 285 family) as an uplink: one TCP
// session to the platform, kept with heart_beat notifies, carrying the
// `intervals` stream as one <data operation="report"> per 15-minute period.
//
// Session: connect → <id_validate operation="request"/> → the platform answers
// with a random <sequence> → we send <md5> = MD5(sequence + login_key) (hex) →
// <result>pass</result> or fail (fail: the connection is closed and the error
// retried with backoff, like a wrong token on the HTTP uplink; nothing is
// acknowledged). After login, and then every heartbeat_s, <heart_beat
// operation="notify"/> → <time>yyyyMMddHHmmss</time>: the platform clock,
// recorded as an offset from ours (± 0.5 s for the whole-second time, plus half
// the round trip). A session found dead is reopened at the next send or
// heartbeat tick, whichever comes first.
//
// Reports: the batch's records are grouped by period start; a report holds one
// <meter id> per platform meter with one <function id coding> per mapped
// function (meter_functions), the value the meter's cumulative counter at the
// period end (the guideline's raw function value; `value: consumption` sends the
// period's consumption instead, `consumption_function` both) with value_decimals
// decimals, the sub-item's Chinese name as name="…", and <parser>yes</parser> (the guideline's flag
// for values already parsed into engineering units; server3's ReportClient sends
// it the same way). A period older than the latest closed one (the box was
// offline, or the platform was) goes as <data operation="continuous">, the
// guideline's resend of what the platform missed; the outbox keeps the order and
// removes a period only once it is acknowledged, so each acknowledged period is
// sent once (a lost acknowledgement makes it a duplicate the platform recognises).
// Each report waits for its acknowledgement, in one of the forms of `ackForms`:
//   data-result:   <data operation="report_ack"><sequence>N</sequence><result>pass|fail</result>[<reason>…</reason>]</data>
//                  (our simulator's; N echoes the report's sequence, or is absent)
//   report-config: <report_config operation="report_ack"><report_ack>pass</report_ack></report_config>
//                  (LinTianxinag/server3, NetDAU_Test/common/signal.js: no sequence echo)
// result=fail refuses that period's records (dead letters, with the reason). Any
// other answer to a report is an error quoting the XML (the link's lastError),
// not a wait for a timeout that would resend the report forever.
// One exchange at a time per session: heartbeats queue between reports.
// Periods already acknowledged within a batch are not sent again when the same
// batch is retried after a failure; a report whose ack was lost is sent again,
// and the platform has to recognise it (same gateway, meter, function, time).
import { createHash } from 'node:crypto';
import net from 'node:net';
import { subItemName } from '../../energy/subitems.ts';
import type { EnergyInterval } from '../../wire/energy.ts';
import type { StoredRecord } from '../../outbox/outbox.ts';
import type { Stream } from '../../wire/streams.ts';
import { anySignal } from '../deadline.ts';
import { uplinkEntry } from '../entry.ts';
import { BatchRejected, type SendResult, type Uplink } from '../uplink.ts';
import { FrameCodec, parseKey16, resolveIv, type FramingOptions } from './frame.ts';
import { ACK_FORMS, PROFILE_TABLE, type AckForm, type ProfileName } from './profiles.ts';
import { jgj285FramingSchema, jgj285UplinkSchema, type LoadedJgj285Uplink } from './schema.ts';
import { buildMessage, child, childText, formatTime, parseMessage, parseTime, parseXml, type Body, type Message, type ReportMeter } from './xml.ts';

const PERIOD_MS = 900_000;

export interface MeterFunction {
  /** meter id at the platform; default the gateway's meter id */
  meter?: string;
  function: string;
  coding: string;
  /** what the function carries: the counter at the period end (default, the guideline's raw value) or the period's consumption */
  value?: 'reading' | 'consumption';
  /** also send the consumption under this function id */
  consumption_function?: string;
}

export interface Jgj285UplinkOptions {
  id: string;
  host: string;
  port: number;
  buildingId: string;
  gatewayId: string;
  /** 16 bytes as text, or 32 hex digits */
  aesKey: string;
  /** 'zero' (default), 'key', or 16 bytes as text / 32 hex digits */
  aesIv?: string;
  loginKey: string;
  heartbeatMs: number;
  timeoutMs: number;
  timeZone?: string;
  reportTime?: 'start' | 'end';
  valueDecimals?: number;
  estimatedError?: string;
  meterFunctions: Record<string, MeterFunction>;
  unmapped?: 'reject' | 'skip';
  framing?: Partial<FramingOptions>;
  md5Input?: 'sequence+key' | 'key+sequence';
  md5Case?: 'lower' | 'upper';
  /** acknowledgement forms accepted (profiles.ts); default both */
  ackForms?: AckForm[];
  /** each <function> carries name="…" (the sub-item's Chinese name); default true */
  functionNames?: boolean;
  /** the report's <parser> element; default yes */
  parser?: 'yes' | 'no' | 'omit';
  /** each heartbeat answer: platform clock minus ours, ms */
  onClockOffset?: (offsetMs: number) => void;
  /** failures outside a send (heartbeats, reconnects while idle) */
  onError?: (err: Error) => void;
  /** a frame from the platform was garbled (length, trailer, CRC, cipher or XML) and skipped; the running count */
  onBadFrame?: (badFrames: number) => void;
}

/** The platform answered the login with fail: a wrong login_key, building_id or gateway_id. */
export class Jgj285LoginRefused extends Error {}

/** The platform answered a report with something that is no acknowledgement this uplink accepts. */
export class Jgj285UnknownAnswer extends Error {}

const MAX_QUOTE = 600;
const quote = (xml: string) => (xml.length > MAX_QUOTE ? `${xml.slice(0, MAX_QUOTE)}…` : xml);

export interface Jgj285Status {
  connected: boolean;
  loggedInAt: number | null;
  connects: number;
  logins: number;
  loginsRefused: number;
  heartbeats: number;
  lastHeartbeatAt: number | null;
  /** platform clock minus ours at the last heartbeat, ms */
  clockOffsetMs: number | null;
  reportsAcked: number;
  /** of which sent as `continuous` (backfill of periods older than the latest closed one) */
  continuousAcked: number;
  /** frames received that failed length, trailer, CRC or decryption, plus unreadable XML */
  badFrames: number;
  lastError: string | null;
}

/** The login digest: MD5 over sequence and key (UTF-8), as hex. */
export function loginDigest(sequence: string, key: string, input: 'sequence+key' | 'key+sequence' = 'sequence+key', hexCase: 'lower' | 'upper' = 'lower'): string {
  const hex = createHash('md5')
    .update(input === 'sequence+key' ? sequence + key : key + sequence, 'utf8')
    .digest('hex');
  return hexCase === 'upper' ? hex.toUpperCase() : hex;
}

type Match = (b: Body) => boolean;

/** Unreadable XML, or a <data>/<report_config> body, or a <type> naming an acknowledgement: an answer to a report we cannot take. */
function looksLikeReportAnswer(xml: string): boolean {
  let root;
  try {
    root = parseXml(xml);
  } catch {
    return true;
  }
  const type = childText(child(root, 'common') ?? root, 'type') ?? '';
  return /ack/i.test(type) || root.children.some((c) => c.name === 'data' || c.name === 'report_config');
}

/** One TCP connection: frames in and out, one request awaiting its answer at a time. */
class Session {
  dead: Error | undefined;
  private waiter: { match: Match; strict: boolean; resolve: (b: Body) => void; reject: (e: Error) => void } | undefined;
  private readonly decoder;

  constructor(
    private readonly socket: net.Socket,
    private readonly codec: FrameCodec,
    private readonly nextSeq: () => number,
    private readonly onBadFrame: () => void,
    private readonly encoding: 'UTF-8' | 'UTF-16',
  ) {
    this.decoder = codec.decoder();
    socket.on('data', (chunk: Buffer) => {
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind === 'error') {
          this.onBadFrame();
          continue;
        }
        let msg: Message;
        try {
          msg = parseMessage(ev.xml);
        } catch (err) {
          // a whole, decrypted frame that is no message we know: what looks like an answer to a report is an error
          // that says what came; a platform's own request (server3's query, archives …) is not an answer and is ignored
          if (this.waiter?.strict && looksLikeReportAnswer(ev.xml)) this.waiter.reject(new Jgj285UnknownAnswer(`unknown answer from the platform (${(err as Error).message}): ${quote(ev.xml)}`));
          else this.onBadFrame(); // unreadable XML, or a request we do not serve
          continue;
        }
        if (this.waiter?.match(msg.body)) this.waiter.resolve(msg.body);
        else if (this.waiter?.strict && msg.body.kind !== 'heart_beat' && msg.body.kind !== 'id_validate')
          this.waiter.reject(new Jgj285UnknownAnswer(`unknown answer from the platform to a report: ${quote(ev.xml)}`));
        // Anything else not awaited (an unsolicited heartbeat or login message, a late answer) is ignored.
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.kill(new Error(`connection: ${err.code ?? err.message}`)));
    socket.on('close', () => this.kill(new Error('connection closed by the platform')));
  }

  request(msg: Message, match: Match, what: string, timeoutMs: number, signal: AbortSignal, strict = false): Promise<Body> {
    if (this.dead) return Promise.reject(this.dead);
    if (signal.aborted) return Promise.reject(new Error('aborted'));
    return new Promise<Body>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
      };
      const fail = (e: Error) => {
        done();
        this.kill(e); // a late answer must not be taken for the next request's
        reject(e);
      };
      const timer = setTimeout(() => fail(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => fail(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        match,
        strict,
        resolve: (b) => {
          done();
          resolve(b);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      this.socket.write(this.codec.encode(this.nextSeq(), buildMessage(msg, this.encoding)));
    });
  }

  kill(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    const w = this.waiter;
    this.socket.destroy();
    w?.reject(err);
  }
}

interface PeriodGroup {
  start: number;
  end: number;
  ids: string[];
  meters: Map<string, Map<string, { coding: string; value: number; flagged: boolean }>>;
}

export class Jgj285Uplink implements Uplink {
  readonly id: string;
  readonly streams: Stream[] = ['intervals'];
  private readonly codec: FrameCodec;
  private readonly o: Required<Omit<Jgj285UplinkOptions, 'aesIv' | 'estimatedError' | 'framing' | 'onClockOffset' | 'onError' | 'onBadFrame'>> & Jgj285UplinkOptions;
  private readonly encoding: 'UTF-8' | 'UTF-16';
  private session: Session | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatBusy = false;
  private readonly lifetime = new AbortController();
  private frameSeq = 0;
  private dataSeq = 0;
  /** periods of the batch in hand already answered, with the records the platform refused: a retried batch does not send them again */
  private acked = { batchId: '', periods: new Map<number, { id: string; reason: string }[]>() };
  private readonly st: Jgj285Status = {
    connected: false,
    loggedInAt: null,
    connects: 0,
    logins: 0,
    loginsRefused: 0,
    heartbeats: 0,
    lastHeartbeatAt: null,
    clockOffsetMs: null,
    reportsAcked: 0,
    continuousAcked: 0,
    badFrames: 0,
    lastError: null,
  };

  constructor(opts: Jgj285UplinkOptions) {
    this.o = { timeZone: 'Asia/Shanghai', reportTime: 'start', valueDecimals: 2, unmapped: 'reject', md5Input: 'sequence+key', md5Case: 'lower', ackForms: [...ACK_FORMS], parser: 'yes', functionNames: true, ...opts };
    this.id = opts.id;
    const key = parseKey16(opts.aesKey, 'aes_key');
    this.codec = new FrameCodec(key, resolveIv(opts.aesIv, key), opts.framing);
    this.encoding = this.codec.opts.text === 'utf-16le' ? 'UTF-16' : 'UTF-8';
  }

  /**
   * Online from boot: logs in now and keeps the session between reports (a
   * heartbeat every heartbeat_s, a new login when the platform dropped it), so the
   * platform sees the box online before the first report is due. server3 expects
   * this (DOMAIN.md, "what real receivers do").
   */
  keepOnline(): void {
    this.startHeartbeats();
    this.heartbeatTick();
  }

  get status(): Jgj285Status {
    return { ...this.st, connected: !!this.session && !this.session.dead };
  }

  /** Opens and logs in the session now, rather than at the first send; heartbeats keep it from then on. */
  async connect(signal: AbortSignal = this.lifetime.signal): Promise<void> {
    await this.exclusive(() => this.ensureSession(signal));
  }

  async send(stream: Stream, batch: StoredRecord[], batchId: string, signal: AbortSignal): Promise<SendResult> {
    if (stream !== 'intervals') throw new BatchRejected(`the jgj285 uplink carries only intervals, not ${stream}`);
    // One report per send: the forwarder commits each acknowledged period before the next
    // is sent, so a kill -9 after an acknowledgement never sends that period again.
    const prefix = this.firstPeriod(batch);
    const { groups, rejected } = this.group(prefix);
    if (this.acked.batchId !== batchId) this.acked = { batchId, periods: new Map() };
    const linked = anySignal([signal, this.lifetime.signal]);
    const sig = linked.signal;
    // own listeners, not AbortSignal.any: on Node 20 its sources are held weakly (see ../deadline.ts)
    try {
      for (const g of groups) {
        const answered = this.acked.periods.get(g.start);
        if (answered) {
          rejected.push(...answered);
          continue;
        }
        const sequence = String(++this.dataSeq);
        const time = formatTime(this.o.reportTime === 'start' ? g.start : g.end, this.o.timeZone);
        // a newer period has closed since this one: the platform missed it, the guideline's `continuous` resends it
        const operation = g.end + PERIOD_MS <= Date.now() ? 'continuous' : 'report';
        const meters: ReportMeter[] = [...g.meters].map(([id, fns]) => ({
          id,
          functions: [...fns].map(([fid, f]) => ({
            id: fid,
            coding: f.coding,
            name: this.o.functionNames ? subItemName(f.coding) : undefined,
            error: f.flagged && this.o.estimatedError !== undefined ? this.o.estimatedError : undefined,
            value: f.value.toFixed(this.o.valueDecimals),
          })),
        }));
        const ack = await this.exclusive(async () => {
          const s = await this.ensureSession(sig);
          return s.request(
            this.message({ kind: 'data', operation, sequence, parser: this.o.parser === 'omit' ? undefined : this.o.parser, time, meters }),
            (b) => b.kind === 'ack' && this.o.ackForms.includes(b.element === 'data' ? 'data-result' : 'report-config') && (b.sequence === '' || b.sequence === sequence),
            `report_ack for ${operation} ${sequence} (${time})`,
            this.o.timeoutMs,
            sig,
            true,
          );
        });
        const refused: { id: string; reason: string }[] = [];
        if (ack.kind === 'ack' && ack.result === 'fail') {
          const reason = `platform refused the report of ${time}: ${ack.reason ?? 'no reason given'}`;
          refused.push(...g.ids.map((id) => ({ id, reason })));
        }
        rejected.push(...refused);
        this.st.reportsAcked += 1;
        if (operation === 'continuous') this.st.continuousAcked += 1;
        this.acked.periods.set(g.start, refused);
      }
      return prefix.length < batch.length ? { rejected, upTo: prefix.at(-1)!.seq } : { rejected };
    } finally {
      linked.done();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.lifetime.abort();
    this.session?.kill(new Error('uplink closed'));
    this.session = undefined;
    await this.chain;
  }

  /** The batch's records up to (not including) the first reportable interval of a second period. */
  private firstPeriod(batch: StoredRecord[]): StoredRecord[] {
    let start: number | undefined;
    let n = 0;
    for (const r of batch) {
      const s = this.reportableStart(r);
      if (s !== undefined) {
        if (start === undefined) start = s;
        else if (s !== start) break;
      }
      n += 1;
    }
    return batch.slice(0, n);
  }

  /** The period start of a record that goes into a report; undefined for what is refused or skipped. */
  private reportableStart(r: StoredRecord): number | undefined {
    try {
      const i = JSON.parse(r.json) as Partial<EnergyInterval>;
      return typeof i?.meter === 'string' && Number.isFinite(i.start) && Number.isFinite(i.amount) && i.period === '15m' && this.o.meterFunctions[i.meter] ? i.start : undefined;
    } catch {
      return undefined;
    }
  }

  /** Groups a batch's intervals by period start; what cannot be reported is refused with its reason. */
  private group(batch: StoredRecord[]): { groups: PeriodGroup[]; rejected: { id: string; reason: string }[] } {
    const rejected: { id: string; reason: string }[] = [];
    const byStart = new Map<number, PeriodGroup>();
    for (const r of batch) {
      let i: Partial<EnergyInterval>;
      try {
        i = JSON.parse(r.json) as Partial<EnergyInterval>;
      } catch {
        rejected.push({ id: r.id, reason: 'payload is not JSON' });
        continue;
      }
      if (typeof i?.meter !== 'string' || !Number.isFinite(i.start) || !Number.isFinite(i.amount)) {
        rejected.push({ id: r.id, reason: 'not an energy interval (meter, start, amount)' });
        continue;
      }
      if (i.period !== '15m') {
        rejected.push({ id: r.id, reason: `period ${String(i.period)}: only 15m intervals are reported over jgj285` });
        continue;
      }
      const map = this.o.meterFunctions[i.meter];
      if (!map) {
        if (this.o.unmapped === 'reject') rejected.push({ id: r.id, reason: `meter "${i.meter}" has no meter_functions entry on uplink ${this.id}` });
        continue;
      }
      const start = i.start!;
      const meterId = map.meter ?? i.meter;
      const g0 = byStart.get(start);
      const asReading = (map.value ?? 'reading') === 'reading';
      if (asReading && !Number.isFinite(i.reading)) {
        rejected.push({ id: r.id, reason: `meter "${i.meter}": no counter reading known at the end of its period (no reading came after it, or a counter anomaly followed), so no raw value to report; map it with value: consumption to send the consumption` });
        continue;
      }
      if (asReading && g0?.meters.get(meterId)?.get(map.function)) {
        rejected.push({ id: r.id, reason: `meter "${i.meter}": platform meter ${meterId} function ${map.function} already carries another meter's reading; readings cannot be summed` });
        continue;
      }
      let g = g0;
      if (!g) byStart.set(start, (g = { start, end: Number.isFinite(i.end) ? i.end! : start + PERIOD_MS, ids: [], meters: new Map() }));
      g.ids.push(r.id);
      let fns = g.meters.get(meterId);
      if (!fns) g.meters.set(meterId, (fns = new Map()));
      const flagged = !!i.estimated || (i.anomalies ?? 0) > 0;
      const add = (fid: string, value: number) => {
        const f = fns.get(fid);
        if (f) {
          f.value += value;
          f.flagged ||= flagged;
        } else fns.set(fid, { coding: map.coding, value, flagged });
      };
      add(map.function, asReading ? i.reading! : i.amount!);
      if (map.consumption_function !== undefined) add(map.consumption_function, i.amount!);
    }
    return { groups: [...byStart.values()].sort((a, b) => a.start - b.start), rejected };
  }

  private message(body: Body): Message {
    return { building_id: this.o.buildingId, gateway_id: this.o.gatewayId, body };
  }

  /** Runs `fn` when every exchange queued before it is over. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** The live, logged-in session; connects and logs in when there is none. Call only inside exclusive(). */
  private async ensureSession(signal: AbortSignal): Promise<Session> {
    if (this.lifetime.signal.aborted) throw new Error('uplink closed');
    if (this.session && !this.session.dead) return this.session;
    this.session = undefined;
    const { host, port, timeoutMs } = this.o;
    try {
      const socket = await connectTcp(host, port, timeoutMs, signal);
      this.st.connects += 1;
      const s = new Session(socket, this.codec, () => (this.frameSeq = (this.frameSeq + 1) >>> 0), () => this.o.onBadFrame?.(++this.st.badFrames), this.encoding);
      try {
        const seq = await s.request(this.message({ kind: 'id_validate', operation: 'request' }), (b) => b.kind === 'id_validate' && b.operation === 'sequence', 'login sequence', timeoutMs, signal);
        if (seq.kind !== 'id_validate' || seq.operation !== 'sequence') throw new Error('unexpected answer');
        const md5 = loginDigest(seq.sequence, this.o.loginKey, this.o.md5Input, this.o.md5Case);
        const res = await s.request(this.message({ kind: 'id_validate', operation: 'md5', md5 }), (b) => b.kind === 'id_validate' && b.operation === 'result', 'login result', timeoutMs, signal);
        if (res.kind !== 'id_validate' || res.operation !== 'result' || res.result !== 'pass') {
          this.st.loginsRefused += 1;
          throw new Jgj285LoginRefused(`login refused by ${host}:${port} for building ${this.o.buildingId}, gateway ${this.o.gatewayId}: check login_key (and the ids)`);
        }
        this.st.logins += 1;
        this.st.loggedInAt = Date.now();
        await this.heartbeat(s, signal);
      } catch (err) {
        s.kill(err as Error);
        throw err;
      }
      this.session = s;
      this.st.lastError = null;
      this.startHeartbeats();
      return s;
    } catch (err) {
      this.st.lastError = (err as Error).message;
      throw err;
    }
  }

  private async heartbeat(s: Session, signal: AbortSignal): Promise<void> {
    const t0 = Date.now();
    const b = await s.request(this.message({ kind: 'heart_beat', operation: 'notify' }), (x) => x.kind === 'heart_beat' && x.operation === 'time', 'heart_beat time', this.o.timeoutMs, signal);
    const t1 = Date.now();
    if (b.kind !== 'heart_beat' || b.operation !== 'time') return;
    this.st.heartbeats += 1;
    this.st.lastHeartbeatAt = t1;
    let server: number;
    try {
      server = parseTime(b.time, this.o.timeZone);
    } catch {
      return; // alive, but no usable clock
    }
    // the platform's time is truncated to the second: its middle is the best guess
    const offset = Math.round(server + 500 - (t0 + t1) / 2);
    this.st.clockOffsetMs = offset;
    this.o.onClockOffset?.(offset);
  }

  private startHeartbeats(): void {
    if (this.heartbeatTimer || this.lifetime.signal.aborted) return;
    this.heartbeatTimer = setInterval(() => this.heartbeatTick(), this.o.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Keeps the session: a heartbeat when it is up, a reconnect and login when it is not. */
  private heartbeatTick(): void {
    if (this.heartbeatBusy) return;
    this.heartbeatBusy = true;
    this.exclusive(async () => {
      const live = this.session && !this.session.dead ? this.session : undefined;
      if (live) await this.heartbeat(live, this.lifetime.signal);
      else await this.ensureSession(this.lifetime.signal); // logs in and beats once
    })
      .catch((err: Error) => {
        if (this.lifetime.signal.aborted) return;
        this.st.lastError = err.message;
        this.o.onError?.(err);
      })
      .finally(() => {
        this.heartbeatBusy = false;
      });
  }
}

function connectTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const socket = net.connect({ host, port });
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    const fail = (e: Error) => {
      cleanup();
      socket.destroy();
      reject(e);
    };
    const onConnect = () => {
      cleanup();
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      socket.unref(); // an idle session does not keep the process alive; close() ends it
      resolve(socket);
    };
    const onError = (e: NodeJS.ErrnoException) => fail(new Error(`connect ${host}:${port}: ${e.code ?? e.message}`));
    const onAbort = () => fail(new Error('aborted'));
    const timer = setTimeout(() => fail(new Error(`connect ${host}:${port}: no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The uplink from its config entry (secrets already read into strings). `boxId` is not sent: the platform knows the box by gateway_id. */
export function createJgj285Uplink(config: LoadedJgj285Uplink, _boxId: string, hooks: Pick<Jgj285UplinkOptions, 'onClockOffset' | 'onError' | 'onBadFrame'> = {}): Jgj285Uplink {
  const wire = resolveWire(config);
  return new Jgj285Uplink({
    id: config.id,
    host: config.host,
    port: config.port,
    buildingId: config.building_id,
    gatewayId: config.gateway_id,
    aesKey: config.aes_key,
    loginKey: config.login_key,
    heartbeatMs: config.heartbeat_s * 1000,
    timeoutMs: config.timeout_ms,
    timeZone: config.time_zone,
    reportTime: config.report_time,
    valueDecimals: config.value_decimals,
    estimatedError: config.estimated_error,
    meterFunctions: config.meter_functions,
    unmapped: config.unmapped_meters,
    functionNames: config.function_names,
    ...wire,
    ...hooks,
  });
}

/** What goes on the wire: the profile's bundle (profiles.ts), or with profile custom the keys as given. */
export function resolveWire(config: Pick<LoadedJgj285Uplink, 'profile' | 'aes_iv' | 'framing' | 'ack_forms' | 'parser'>): Pick<Jgj285UplinkOptions, 'aesIv' | 'framing' | 'md5Input' | 'md5Case' | 'ackForms' | 'parser'> {
  const profile = config.profile as ProfileName;
  if (profile !== 'custom') {
    const p = PROFILE_TABLE[profile];
    return { aesIv: p.iv === 'given' ? config.aes_iv : p.iv, framing: p.framing, md5Input: p.md5Input, md5Case: p.md5Case, ackForms: config.ack_forms ?? p.ackForms, parser: config.parser ?? p.parser };
  }
  const f = jgj285FramingSchema.parse(config.framing ?? {});
  return {
    aesIv: config.aes_iv ?? 'zero',
    framing: {
      lengthByteOrder: f.length_byte_order,
      sequenceByteOrder: f.sequence_byte_order,
      crcByteOrder: f.crc_byte_order,
      lengthCovers: f.length_covers,
      crcScope: f.crc_scope,
      padding: f.padding,
      maxFrameBytes: f.max_frame_bytes,
      text: f.text,
    },
    md5Input: f.md5_input,
    md5Case: f.md5_case,
    ackForms: config.ack_forms ?? [...ACK_FORMS],
    parser: config.parser ?? 'yes',
  };
}

/** The registry's entry (gateway/uplink/registry.ts). */
export const jgj285Uplink = uplinkEntry({
  schema: jgj285UplinkSchema,
  secretKeys: ['aes_key', 'login_key'],
  // a batch may first connect and log in (three messages, each with the timeout) before its report
  batchTimeoutMs: (u) => 4 * u.timeout_ms,
  create: (u, { boxId, logger }) => {
    const uplink = createJgj285Uplink(u, boxId, {
      onClockOffset: (ms) => logger.info({ uplink: u.id, offsetMs: ms }, 'platform clock offset'),
      onError: (err) => logger.warn({ uplink: u.id, err: err.message }, 'jgj285 session error'),
      onBadFrame: (badFrames) => logger.warn({ uplink: u.id, badFrames }, 'jgj285 garbled frame from the platform skipped'),
    });
    uplink.keepOnline();
    return uplink;
  },
});
