// The simulator's building-energy platform: a TCP server speaking the JGJ/T 285
// family upload as gateway/uplink/jgj285 implements it (same framing options).
// Login: a random sequence, then the MD5 checked (a wrong one is answered with
// result=fail and the connection closed). heart_beat notify: answered with this
// server's time (Date.now() + clockSkewMs). data report: every <function> becomes
// one record of stream 'intervals' in the Ledger, id
// `gateway_id:meter:function:time` — the same report sent again is a duplicate —
// then acknowledged in the form of its profile: <data operation="report_ack">
// echoing its <sequence> (guideline, ningbo-2018, custom), or server3's
// <report_config operation="report_ack"><report_ack>pass</report_ack></report_config>
// (LinTianxinag/server3, NetDAU_Test/common/signal.js). `continuous` reports are
// taken the same way and counted apart. Profiles (gateway/uplink/jgj285/profiles.ts)
// fix the framing, IV and text encoding as the uplink's do. The protocol carries no
// outbox sequence numbers: each new id gets the next number here, so the
// Ledger's order and gap checks are not meaningful for this receiver.
import { randomInt } from 'node:crypto';
import net from 'node:net';
import { loginDigest } from '../../uplink/jgj285/client.ts';
import { FrameCodec, parseKey16, resolveIv, type FramingOptions } from '../../uplink/jgj285/frame.ts';
import { PROFILE_TABLE, type AckForm, type ProfileName } from '../../uplink/jgj285/profiles.ts';
import { buildMessage, formatTime, parseMessage, type Body, type Message } from '../../uplink/jgj285/xml.ts';
import type { Ledger, ReceivedRecord } from './ledger.ts';

/** `after`: reports handled normally first; `times`: reports faulted, then `then` (default ok) takes over. */
interface Limited {
  after?: number;
  times?: number;
  then?: Jgj285Fault;
}

export type Jgj285Fault =
  | { mode: 'ok' }
  /** take the report into the ledger, then drop the connection without acknowledging */
  | ({ mode: 'reset-after-take' } & Limited)
  /** drop the connection when a report arrives, taking nothing */
  | ({ mode: 'reset' } & Limited)
  /** never answer reports (heartbeats still answered); `take`: the report is taken into the ledger first */
  | { mode: 'hang'; after?: number; take?: boolean }
  /** a garbled frame (bad CRC) and noise before the acknowledgement: the uplink must skip it and take the ack */
  | ({ mode: 'garble' } & Limited)
  /** a message of its own (e.g. server3's net_query) before the acknowledgement: not an answer, the uplink must wait on */
  | ({ mode: 'prefix'; xml: string } & Limited)
  /** acknowledge reports with result=fail and this reason, taking nothing */
  | ({ mode: 'refuse'; reason?: string } & Limited)
  /** answer reports with this XML (a form no uplink knows), taking nothing */
  | ({ mode: 'odd-answer'; xml: string } & Limited);

export interface Jgj285ReceiverOptions {
  host?: string;
  /** 0 (default): any free port */
  port?: number;
  aesKey: string;
  aesIv?: string;
  loginKey: string;
  /** a named profile fixes framing, IV (except ningbo-2018's, given in aesIv) and the acknowledgement form */
  profile?: ProfileName;
  /** the acknowledgement form (default: the profile's first, else data-result) */
  ackForm?: AckForm;
  framing?: Partial<FramingOptions>;
  md5Input?: 'sequence+key' | 'key+sequence';
  timeZone?: string;
  /** this server's clock minus the real one, ms */
  clockSkewMs?: number;
  /** the Ledger stream its records go to; default 'intervals' (use another name when an HTTP receiver shares the Ledger) */
  stream?: string;
}

export interface Jgj285Counters {
  connections: number;
  loginsPassed: number;
  loginsRefused: number;
  heartbeats: number;
  reports: number;
  reportsAcked: number;
  /** of the reports, those sent as `continuous` (backfill) */
  continuous: number;
  /** function values received (duplicates included) */
  records: number;
  badCrc: number;
  /** frames with a bad length, trailer or cipher text */
  badFrames: number;
  badXml: number;
  /** heartbeats or reports before a passed login (the connection is closed) */
  unauthenticated: number;
  faulted: number;
}

interface Conn {
  socket: net.Socket;
  sequence?: string;
  authed: boolean;
}

export class Jgj285Receiver {
  fault: Jgj285Fault = { mode: 'ok' };
  clockSkewMs: number;
  port = 0;
  readonly counters: Jgj285Counters = {
    connections: 0,
    loginsPassed: 0,
    loginsRefused: 0,
    heartbeats: 0,
    reports: 0,
    reportsAcked: 0,
    continuous: 0,
    records: 0,
    badCrc: 0,
    badFrames: 0,
    badXml: 0,
    unauthenticated: 0,
    faulted: 0,
  };
  private readonly server: net.Server;
  private readonly codec: FrameCodec;
  private readonly conns = new Set<Conn>();
  private readonly seqById = new Map<string, number>();
  /** acknowledgements given per report <time>: a period acknowledged twice was sent again after its ack */
  readonly acksByTime = new Map<string, number>();
  private readonly timeZone: string;
  private readonly ackForm: AckForm;
  private readonly encoding: 'UTF-8' | 'UTF-16';

  constructor(
    private readonly ledger: Ledger,
    private readonly opts: Jgj285ReceiverOptions,
  ) {
    const key = parseKey16(opts.aesKey, 'aes key');
    const profile = opts.profile && opts.profile !== 'custom' ? PROFILE_TABLE[opts.profile] : undefined;
    const iv = profile && profile.iv !== 'given' ? profile.iv : opts.aesIv;
    this.codec = new FrameCodec(key, resolveIv(iv, key), profile?.framing ?? opts.framing);
    this.ackForm = opts.ackForm ?? profile?.ackForms[0] ?? 'data-result';
    this.encoding = this.codec.opts.text === 'utf-16le' ? 'UTF-16' : 'UTF-8';
    this.clockSkewMs = opts.clockSkewMs ?? 0;
    this.timeZone = opts.timeZone ?? 'Asia/Shanghai';
    this.server = net.createServer((socket) => this.accept(socket));
  }

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  stop(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Drops every open connection (as a platform restart or a NAT timeout would). */
  dropConnections(): void {
    for (const c of this.conns) c.socket.destroy();
  }

  report() {
    return { ...this.counters, connected: this.conns.size, fault: this.fault };
  }

  private accept(socket: net.Socket): void {
    this.counters.connections += 1;
    const conn: Conn = { socket, authed: false };
    this.conns.add(conn);
    const decoder = this.codec.decoder();
    socket.on('error', () => {});
    socket.on('close', () => this.conns.delete(conn));
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) {
        if (socket.destroyed) return;
        if (ev.kind === 'error') {
          if (ev.reason === 'crc') this.counters.badCrc += 1;
          else this.counters.badFrames += 1;
          continue;
        }
        let msg: Message;
        try {
          msg = parseMessage(ev.xml);
        } catch {
          this.counters.badXml += 1;
          continue;
        }
        this.handle(conn, ev.seq, msg);
      }
    });
  }

  private handle(conn: Conn, seq: number, msg: Message): void {
    const b = msg.body;
    const answer = (body: Body) => conn.socket.write(this.codec.encode(seq, buildMessage({ building_id: msg.building_id, gateway_id: msg.gateway_id, body }, this.encoding)));
    const ack = (sequence: string, result: 'pass' | 'fail', reason?: string): Body =>
      this.ackForm === 'report-config'
        ? { kind: 'ack', element: 'report_config', operation: 'report_ack', sequence: '', result }
        : { kind: 'ack', element: 'data', operation: 'report_ack', sequence, result, reason };
    if (b.kind === 'id_validate' && b.operation === 'request') {
      conn.sequence = String(randomInt(100_000_000, 1_000_000_000));
      conn.authed = false;
      answer({ kind: 'id_validate', operation: 'sequence', sequence: conn.sequence });
      return;
    }
    if (b.kind === 'id_validate' && b.operation === 'md5') {
      const want = conn.sequence ? loginDigest(conn.sequence, this.opts.loginKey, this.opts.md5Input) : undefined;
      conn.authed = want !== undefined && b.md5.toLowerCase() === want;
      answer({ kind: 'id_validate', operation: 'result', result: conn.authed ? 'pass' : 'fail' });
      if (conn.authed) this.counters.loginsPassed += 1;
      else {
        this.counters.loginsRefused += 1;
        conn.socket.end();
      }
      return;
    }
    if (!conn.authed && (b.kind === 'heart_beat' || b.kind === 'data')) {
      this.counters.unauthenticated += 1;
      conn.socket.destroy();
      return;
    }
    if (b.kind === 'heart_beat' && b.operation === 'notify') {
      this.counters.heartbeats += 1;
      answer({ kind: 'heart_beat', operation: 'time', time: formatTime(Date.now() + this.clockSkewMs, this.timeZone) });
      return;
    }
    if (b.kind === 'data') {
      this.counters.reports += 1;
      if (b.operation === 'continuous') this.counters.continuous += 1;
      const f = this.fault;
      const active = f.mode !== 'ok' && !(f.after !== undefined && f.after-- > 0);
      if (f.mode === 'hang' && active) {
        this.counters.faulted += 1;
        if (f.take) this.take(msg.gateway_id, msg.building_id, b);
        return;
      }
      if (f.mode === 'refuse' && active) {
        this.faulted(f);
        answer(ack(b.sequence, 'fail', f.reason ?? 'simulated refusal'));
        return;
      }
      if (f.mode === 'odd-answer' && active) {
        this.faulted(f);
        conn.socket.write(this.codec.encode(seq, f.xml));
        return;
      }
      if (f.mode === 'reset' && active) {
        this.faulted(f);
        conn.socket.destroy();
        return;
      }
      this.take(msg.gateway_id, msg.building_id, b);
      if (f.mode === 'reset-after-take' && active) {
        this.faulted(f);
        conn.socket.destroy();
        return;
      }
      if (f.mode === 'garble' && active) {
        this.faulted(f);
        const bad = this.codec.encode(seq, buildMessage({ building_id: msg.building_id, gateway_id: msg.gateway_id, body: ack(b.sequence, 'pass') }, this.encoding));
        bad[14]! ^= 0xff; // inside the cipher text: the CRC no longer matches
        conn.socket.write(Buffer.concat([Buffer.from('garbage'), bad]));
      }
      if (f.mode === 'prefix' && active) {
        this.faulted(f);
        conn.socket.write(this.codec.encode(seq, f.xml));
      }
      this.counters.reportsAcked += 1;
      this.acksByTime.set(b.time, (this.acksByTime.get(b.time) ?? 0) + 1);
      answer(ack(b.sequence, 'pass'));
    }
  }

  private faulted(f: Limited): void {
    this.counters.faulted += 1;
    if (f.times !== undefined && --f.times <= 0) this.fault = f.then ?? { mode: 'ok' };
  }

  private take(gatewayId: string, buildingId: string, b: Extract<Body, { kind: 'data' }>): void {
    const at = Date.now();
    const records: ReceivedRecord[] = b.meters.flatMap((m) =>
      m.functions.map((fn) => {
        const id = `${gatewayId}:${m.id}:${fn.id}:${b.time}`;
        let seq = this.seqById.get(id);
        if (seq === undefined) this.seqById.set(id, (seq = this.seqById.size + 1));
        return {
          id,
          seq,
          at,
          payload: { building_id: buildingId, gateway_id: gatewayId, operation: b.operation, parser: b.parser, meter: m.id, function: fn.id, coding: fn.coding, name: fn.name, error: fn.error, value: Number(fn.value), time: b.time },
        };
      }),
    );
    this.counters.records += records.length;
    this.ledger.take(this.opts.stream ?? 'intervals', records, 'jgj285');
  }
}
