// The few XML messages of the building-energy upload, built and parsed with the
// standard library only (a small non-validating parser: elements, attributes,
// text, CDATA, comments, the five predefined entities and character references;
// no DTD). Every message is
//
//   <root><common><building_id/><gateway_id/><type/></common><BODY operation="…">…</BODY></root>
//
// with BODY one of id_validate (request → sequence → md5 → result), heart_beat
// (notify → time) and data (report or continuous → an acknowledgement). The
// acknowledgement comes in two forms (kind 'ack'): <data operation="report_ack">
// <sequence/><result>pass|fail</result> (ours, echoing the sequence) and the one of
// LinTianxinag/server3 (NetDAU_Test/common/signal.js, Report and Continuous):
// <report_config operation="report_ack"><report_ack>pass</report_ack></report_config>.
// When a variant leaves the `operation` attribute out, it is taken from <type>.
import { fromLocalWall, zoneOffsetMs } from '../../site-time.ts';

export class XmlError extends Error {}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff) throw new XmlError(`bad character reference ${whole}`);
      return String.fromCodePoint(cp);
    }
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`unknown entity ${whole}`);
    return v;
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' } as Record<string, string>)[c]};`);
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTR = /\s+([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;

/** Parses one XML document into its root element; throws XmlError when malformed. */
export function parseXml(src: string): XmlElement {
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => {
    throw new XmlError(`${msg} at offset ${i}`);
  };
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt !== i) {
      const end = lt < 0 ? src.length : lt;
      const text = src.slice(i, end);
      if (stack.length) stack.at(-1)!.text += decodeEntities(text);
      else if (text.trim()) fail('text outside the root element');
      i = end;
      continue;
    }
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i);
      if (end < 0 || !stack.length) fail('bad CDATA section');
      stack.at(-1)!.text += src.slice(i + 9, end);
      i = end + 3;
    } else if (src.startsWith('<!', i)) {
      fail('DOCTYPE and declarations are not supported');
    } else if (src.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(src);
      if (!m) fail('bad end tag');
      const name = m![0];
      const close = src.indexOf('>', NAME.lastIndex);
      if (close < 0 || src.slice(NAME.lastIndex, close).trim()) fail('bad end tag');
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? ''}>`);
      i = close + 1;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(src);
      if (!m) fail('bad start tag');
      const el: XmlElement = { name: m![0], attrs: {}, children: [], text: '' };
      let j = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = j;
        const a = ATTR.exec(src);
        if (!a) break;
        el.attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '');
        j = ATTR.lastIndex;
      }
      while (j < src.length && /\s/.test(src[j]!)) j++;
      const selfClosing = src.startsWith('/>', j);
      if (!selfClosing && src[j] !== '>') fail(`bad start tag <${el.name}>`);
      if (stack.length) stack.at(-1)!.children.push(el);
      else if (root) fail('more than one root element');
      else root = el;
      if (!selfClosing) stack.push(el);
      i = j + (selfClosing ? 2 : 1);
    }
  }
  if (stack.length) throw new XmlError(`<${stack.at(-1)!.name}> is not closed`);
  if (!root) throw new XmlError('no root element');
  return root;
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

export function childText(el: XmlElement, name: string): string | undefined {
  const c = child(el, name);
  return c ? c.text.trim() : undefined;
}

// ---- messages --------------------------------------------------------------

export interface Common {
  building_id: string;
  gateway_id: string;
  /** the message type; by default the body's operation */
  type: string;
}

export interface ReportFunction {
  id: string;
  coding?: string;
  /** the sub-item's Chinese name (not in the guideline's attribute list: receivers ignore attributes they do not know) */
  name?: string;
  error?: string;
  value: string;
}

export interface ReportMeter {
  id: string;
  functions: ReportFunction[];
}

export type Body =
  | { kind: 'id_validate'; operation: 'request' }
  | { kind: 'id_validate'; operation: 'sequence'; sequence: string }
  | { kind: 'id_validate'; operation: 'md5'; md5: string }
  | { kind: 'id_validate'; operation: 'result'; result: 'pass' | 'fail' }
  | { kind: 'heart_beat'; operation: 'notify' }
  | { kind: 'heart_beat'; operation: 'time'; time: string }
  /** continuous: the guideline's resend of what the platform missed during an outage; parser: <parser>yes|no</parser> when present */
  | { kind: 'data'; operation: 'report' | 'continuous'; sequence: string; parser?: string; time: string; meters: ReportMeter[] }
  | { kind: 'ack'; element: 'data' | 'report_config'; operation: 'report_ack' | 'continuous_ack'; sequence: string; result: 'pass' | 'fail'; reason?: string };

export interface Message {
  building_id: string;
  gateway_id: string;
  /** <common><type>; when building, defaults to the body's operation */
  type?: string;
  body: Body;
}

const el = (name: string, text: string) => `<${name}>${escapeXml(text)}</${name}>`;

/** `encoding` only names the text's encoding in the declaration (the frame codec encodes it). */
export function buildMessage(m: Message, encoding: 'UTF-8' | 'UTF-16' = 'UTF-8'): string {
  const b = m.body;
  let inner = '';
  switch (b.kind) {
    case 'id_validate':
      if (b.operation === 'sequence') inner = el('sequence', b.sequence);
      else if (b.operation === 'md5') inner = el('md5', b.md5);
      else if (b.operation === 'result') inner = el('result', b.result);
      break;
    case 'heart_beat':
      if (b.operation === 'time') inner = el('time', b.time);
      break;
    case 'ack':
      inner =
        b.element === 'report_config'
          ? el('report_ack', b.result)
          : el('sequence', b.sequence) + el('result', b.result) + (b.reason !== undefined ? el('reason', b.reason) : '');
      break;
    case 'data':
      {
        inner =
          el('sequence', b.sequence) +
          (b.parser !== undefined ? el('parser', b.parser) : '') +
          el('time', b.time) +
          b.meters
            .map(
              (meter) =>
                `<meter id="${escapeXml(meter.id)}">${meter.functions
                  .map(
                    (f) =>
                      `<function id="${escapeXml(f.id)}"${f.coding !== undefined ? ` coding="${escapeXml(f.coding)}"` : ''}${f.name !== undefined ? ` name="${escapeXml(f.name)}"` : ''}${f.error !== undefined ? ` error="${escapeXml(f.error)}"` : ''}>${escapeXml(f.value)}</function>`,
                  )
                  .join('')}</meter>`,
            )
            .join('');
      }
      break;
  }
  const tag = b.kind === 'ack' ? b.element : b.kind;
  const body = inner ? `<${tag} operation="${b.operation}">${inner}</${tag}>` : `<${tag} operation="${b.operation}"/>`;
  return (
    `<?xml version="1.0" encoding="${encoding}"?>` +
    `<root><common>${el('building_id', m.building_id)}${el('gateway_id', m.gateway_id)}${el('type', m.type ?? b.operation)}</common>${body}</root>`
  );
}

const BODIES = ['id_validate', 'heart_beat', 'data', 'report_config'] as const;
const ACK_OPERATIONS = ['report_ack', 'continuous_ack'];

/** Parses a message; throws XmlError when it is not one of the messages above. */
export function parseMessage(xml: string): Message {
  const root = parseXml(xml);
  const common = child(root, 'common');
  if (!common) throw new XmlError('no <common>');
  const type = childText(common, 'type') ?? '';
  const bodyEl = root.children.find((c) => (BODIES as readonly string[]).includes(c.name));
  if (!bodyEl) throw new XmlError(`no <${BODIES.join('>, <')}> element`);
  const op = bodyEl.attrs.operation ?? type;
  const need = (name: string): string => {
    const v = childText(bodyEl, name);
    if (v === undefined) throw new XmlError(`<${bodyEl.name} operation="${op}"> without <${name}>`);
    return v;
  };
  const passFail = (v: string): 'pass' | 'fail' => (v.toLowerCase() === 'pass' ? 'pass' : 'fail');
  let body: Body;
  const kind = bodyEl.name as (typeof BODIES)[number];
  if ((kind === 'data' || kind === 'report_config') && ACK_OPERATIONS.includes(op)) {
    // the result: <result> (ours), or an element named after the operation (server3's <report_ack>)
    const result = childText(bodyEl, 'result') ?? childText(bodyEl, op) ?? childText(bodyEl, 'report_ack');
    if (result === undefined || !/^(pass|fail)$/i.test(result)) throw new XmlError(`<${kind} operation="${op}"> without a <result> or <${op}> of pass or fail`);
    return {
      building_id: childText(common, 'building_id') ?? '',
      gateway_id: childText(common, 'gateway_id') ?? '',
      type,
      body: { kind: 'ack', element: kind, operation: op as 'report_ack' | 'continuous_ack', sequence: childText(bodyEl, 'sequence') ?? '', result: passFail(result), reason: childText(bodyEl, 'reason') },
    };
  }
  if (kind === 'id_validate' && op === 'request') body = { kind, operation: op };
  else if (kind === 'id_validate' && op === 'sequence') body = { kind, operation: op, sequence: need('sequence') };
  else if (kind === 'id_validate' && op === 'md5') body = { kind, operation: op, md5: need('md5') };
  else if (kind === 'id_validate' && op === 'result') body = { kind, operation: op, result: passFail(need('result')) };
  else if (kind === 'heart_beat' && op === 'notify') body = { kind, operation: op };
  else if (kind === 'heart_beat' && op === 'time') body = { kind, operation: op, time: need('time') };
  else if (kind === 'data' && (op === 'report' || op === 'continuous')) {
    const meters = bodyEl.children
      .filter((c) => c.name === 'meter')
      .map((m) => ({
        id: m.attrs.id ?? '',
        functions: m.children
          .filter((f) => f.name === 'function')
          .map((f) => ({ id: f.attrs.id ?? '', coding: f.attrs.coding, name: f.attrs.name, error: f.attrs.error, value: f.text.trim() })),
      }));
    body = { kind, operation: op, sequence: childText(bodyEl, 'sequence') ?? '', parser: childText(bodyEl, 'parser'), time: need('time'), meters };
  } else throw new XmlError(`unknown message <${kind} operation="${op}">`);
  return { building_id: childText(common, 'building_id') ?? '', gateway_id: childText(common, 'gateway_id') ?? '', type, body };
}

// ---- times -------------------------------------------------------------------

/** `yyyyMMddHHmmss` in `timeZone` (the format the protocol family uses). */
export function formatTime(at: number, timeZone: string): string {
  const d = new Date(Math.floor(at / 1000) * 1000 + zoneOffsetMs(at, timeZone));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Epoch ms of a local time in `timeZone`; takes `yyyyMMddHHmmss` or any form with the same 14 digits (`yyyy-MM-dd HH:mm:ss`). */
export function parseTime(text: string, timeZone: string): number {
  const digits = text.replace(/\D/g, '');
  if (digits.length !== 14) throw new XmlError(`time "${text}": expected yyyyMMddHHmmss`);
  const n = (a: number, b: number) => Number(digits.slice(a, b));
  const asUtc = Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14));
  if (!Number.isFinite(asUtc)) throw new XmlError(`time "${text}" is not a date`);
  return fromLocalWall(asUtc, timeZone);
}
