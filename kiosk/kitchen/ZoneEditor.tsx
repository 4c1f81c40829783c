// Kitchen zones on /admin: per camera, its latest clean frame with the zones over it.
// A click on the frame adds a point to the zone being drawn (or starts one: zones overlap,
// so a click never selects one — the list does), the selected zone's points can be
// dragged, a click on the first point (or "close") closes the polygon; each zone has
// an id (what rules name), a name and where it comes from (config default, drawn here,
// redrawn over the config). Save sends the camera's whole list (PUT …/zones); the
// gateway applies it to the running rules at once. Points are normalised (0–1).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CameraZonesMsg, ZoneSource, ZoneView } from '../../gateway/kitchen/zones.ts';
import { call } from '../checkout/api.ts';
import { fmtDateTime } from '../format.ts';
import { useLang, type Key } from '../i18n.ts';

type Pt = [number, number];
type Anchor = 'centre' | 'bottom';
interface Draft {
  key: number;
  id: string;
  name: string;
  points: Pt[];
  anchor: Anchor;
  closed: boolean;
  /** `new`: drawn in this editor, not saved yet */
  source: ZoneSource | 'new';
  updatedAt: number | null;
  updatedBy: string | null;
}

const ID_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MAX_POINTS = 32;
const COLOURS = ['#e11d48', '#2563eb', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];
const round = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 10_000) / 10_000;
const zonesUrl = (camera: string) => `/api/kitchen/cameras/${encodeURIComponent(camera)}/zones`;

let nextKey = 1;
const toDraft = (z: ZoneView): Draft => ({ key: nextKey++, id: z.id, name: z.name ?? '', points: z.points, anchor: z.anchor, closed: true, source: z.source, updatedAt: z.updatedAt, updatedBy: z.updatedBy });

export function ZoneEditor({ cameras }: { cameras: string[] }) {
  const { t } = useLang();
  const [camera, setCamera] = useState(cameras[0] ?? '');
  const [data, setData] = useState<CameraZonesMsg | null>(null);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [frame, setFrame] = useState<'loading' | 'ok' | 'none'>('loading');
  const [seq, setSeq] = useState(0);
  const svg = useRef<SVGSVGElement>(null);
  const drag = useRef<{ key: number; index: number } | null>(null);

  const load = (msg: CameraZonesMsg) => {
    setData(msg);
    setDrafts(msg.zones.map(toDraft));
    setSelected(null);
    setDirty(false);
  };
  useEffect(() => {
    if (!camera) return;
    setData(null);
    setError(null);
    setSaved(false);
    setFrame('loading');
    setSeq(Date.now() % 1e9);
    call<CameraZonesMsg>('GET', zonesUrl(camera)).then(load, (e: Error) => setError(e.message));
  }, [camera]);
  useEffect(() => {
    if (!cameras.includes(camera) && cameras[0]) setCamera(cameras[0]);
  }, [cameras.join(',')]);

  if (!cameras.length) return null;

  const change = (fn: (ds: Draft[]) => Draft[]) => {
    setDrafts(fn);
    setDirty(true);
    setSaved(false);
    setError(null);
  };
  const update = (key: number, patch: Partial<Draft>) => change((ds) => ds.map((d) => (d.key === key ? { ...d, ...patch } : d)));
  const current = drafts.find((d) => d.key === selected);
  const drawing = current && !current.closed ? current : undefined;

  const at = (e: PointerEvent): Pt => {
    const r = svg.current!.getBoundingClientRect();
    return [round((e.clientX - r.left) / r.width), round((e.clientY - r.top) / r.height)];
  };
  const newZone = (first?: Pt) => {
    const used = new Set(drafts.map((d) => d.id));
    let n = drafts.length + 1;
    while (used.has(`zone-${n}`)) n++;
    const d: Draft = { key: nextKey++, id: `zone-${n}`, name: '', points: first ? [first] : [], anchor: 'centre', closed: false, source: 'new', updatedAt: null, updatedBy: null };
    change((ds) => [...ds, d]);
    setSelected(d.key);
  };
  const onStageDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const p = at(e);
    if (!drawing) return newZone(p);
    if (drawing.points.length >= MAX_POINTS) return setError(t('zones.tooMany', { n: MAX_POINTS }));
    update(drawing.key, { points: [...drawing.points, p] });
  };
  const onVertexDown = (e: PointerEvent, d: Draft, index: number) => {
    e.stopPropagation();
    setSelected(d.key);
    if (!d.closed && index === 0 && d.points.length >= 3) return update(d.key, { closed: true });
    drag.current = { key: d.key, index };
    svg.current?.setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent) => {
    const g = drag.current;
    if (!g) return;
    const p = at(e);
    change((ds) => ds.map((d) => (d.key === g.key ? { ...d, points: d.points.map((q, i) => (i === g.index ? p : q)) } : d)));
  };
  const onUp = () => {
    drag.current = null;
  };

  const remove = (d: Draft) => {
    change((ds) => ds.filter((x) => x.key !== d.key));
    if (selected === d.key) setSelected(null);
  };
  const restore = (z: ZoneView) => {
    if (drafts.some((d) => d.id === z.id)) return setError(t('zones.idTaken', { id: z.id }));
    change((ds) => [...ds, { ...toDraft(z), source: 'config' }]);
  };
  const toDefault = (d: Draft) => {
    const def = data?.defaults.find((z) => z.id === d.id);
    if (def) change((ds) => ds.map((x) => (x.key === d.key ? { ...toDraft(def), key: d.key } : x)));
  };
  const problems = (): string | null => {
    const seen = new Set<string>();
    for (const d of drafts) {
      if (!ID_RE.test(d.id)) return t('zones.badId', { id: d.id });
      if (seen.has(d.id)) return t('zones.idTaken', { id: d.id });
      seen.add(d.id);
      if (!d.closed || d.points.length < 3) return t('zones.notClosed', { id: d.id });
    }
    return null;
  };
  const save = () => {
    const p = problems();
    if (p) return setError(p);
    setError(null);
    const body = { zones: drafts.map((d) => ({ id: d.id, ...(d.name.trim() ? { name: d.name.trim() } : {}), points: d.points, anchor: d.anchor })) };
    call<CameraZonesMsg>('PUT', zonesUrl(camera), body).then(
      (msg) => {
        load(msg);
        setSaved(true);
      },
      (e: Error) => setError(e.message),
    );
  };
  const reset = () => {
    if (data) load(data);
    setError(null);
  };

  const used = (id: string) => (data?.rules ?? []).filter((r) => r.zones.includes(id)).map((r) => r.id);
  const fixedId = (d: Draft) => d.source === 'config' || d.source === 'override';
  const sourceKey = (s: Draft['source']) => `zones.source.${s}` as Key;
  const w = data?.width ?? 16;
  const h = data?.height ?? 9;

  return (
    <section class="zones" data-testid="zone-editor">
      <h2>{t('zones.title')}</h2>
      <p class="zones-help">{t('zones.help')}</p>
      <div class="zones-bar">
        <label>
          {t('zones.camera')}
          <select data-testid="zones-camera" value={camera} onChange={(e) => setCamera((e.target as HTMLSelectElement).value)}>
            {cameras.map((c) => (
              <option key={c} value={c}>{c}</option>
            ))}
          </select>
        </label>
        <button type="button" data-testid="zones-new" onClick={() => newZone()} disabled={!data}>{t('zones.new')}</button>
        <button type="button" data-testid="zones-undo" onClick={() => drawing && update(drawing.key, { points: drawing.points.slice(0, -1) })} disabled={!drawing?.points.length}>{t('zones.undo')}</button>
        <button type="button" data-testid="zones-close" onClick={() => drawing && update(drawing.key, { closed: true })} disabled={!drawing || drawing.points.length < 3}>{t('zones.close')}</button>
        <button type="button" data-testid="zones-frame" onClick={() => (setFrame('loading'), setSeq((s) => s + 1))}>{t('zones.refreshFrame')}</button>
        <button type="button" data-testid="zones-reset" onClick={reset} disabled={!dirty}>{t('zones.reset')}</button>
        <button type="button" class="primary" data-testid="zones-save" onClick={save} disabled={!data || !dirty}>{t('zones.save')}</button>
      </div>
      <p class="zones-status">
        {error && <span class="alert" data-testid="zones-error">{error}</span>}
        {!error && saved && <span class="zones-saved" data-testid="zones-saved">{t('zones.saved')}</span>}
        {!error && dirty && <span class="zones-dirty" data-testid="zones-dirty">{t('zones.unsaved')}</span>}
      </p>
      {data && (
        <div class="zones-work">
          <div class="zones-stage" style={{ aspectRatio: `${w} / ${h}` }}>
            <img
              data-testid="zones-snapshot"
              data-state={frame}
              src={`/api/cameras/${encodeURIComponent(camera)}/latest.jpg?seq=${seq}`}
              alt={camera}
              draggable={false}
              onLoad={() => setFrame('ok')}
              onError={() => setFrame('none')}
            />
            {frame === 'none' && <p class="zones-noframe">{t('zones.noFrame')}</p>}
            <svg
              ref={svg}
              data-testid="zones-canvas"
              viewBox={`0 0 ${w} ${h}`}
              preserveAspectRatio="none"
              onPointerDown={onStageDown}
              onPointerMove={onMove}
              onPointerUp={onUp}
              onPointerCancel={onUp}
            >
              {drafts.map((d, i) => {
                const colour = COLOURS[i % COLOURS.length]!;
                const pts = d.points.map(([x, y]) => `${x * w},${y * h}`).join(' ');
                const r = Math.max(w, h) / 90;
                return (
                  <g key={d.key} class={d.key === selected ? 'zone selected' : 'zone'} data-testid="zone-shape" data-zone={d.id} data-points={d.points.length} data-closed={d.closed ? 'yes' : 'no'}>
                    {d.closed ? (
                      <polygon points={pts} fill={colour} fill-opacity={0.2} stroke={colour} stroke-width={r / 2} />
                    ) : (
                      <polyline points={pts} fill="none" stroke={colour} stroke-width={r / 2} stroke-dasharray={`${r} ${r / 2}`} />
                    )}
                    {d.points.length > 0 && (
                      <text x={d.points[0]![0] * w + r * 1.5} y={d.points[0]![1] * h - r} fill={colour} font-size={r * 3}>{d.name || d.id}</text>
                    )}
                    {(d.key === selected || !d.closed) &&
                      d.points.map(([x, y], j) => (
                        <circle key={j} data-testid="zone-vertex" data-index={j} cx={x * w} cy={y * h} r={j === 0 && !d.closed ? r * 1.4 : r} fill="#fff" stroke={colour} stroke-width={r / 3} onPointerDown={(e) => onVertexDown(e, d, j)} />
                      ))}
                  </g>
                );
              })}
            </svg>
          </div>
          <ul class="zones-list">
            {drafts.length === 0 && <li class="empty" data-testid="zones-empty">{t('zones.none')}</li>}
            {drafts.map((d, i) => {
              const rules = used(d.id);
              return (
                <li key={d.key} class={d.key === selected ? 'zone-row selected' : 'zone-row'} data-testid="zone-row" data-zone={d.id} data-source={d.source} onClick={() => setSelected(d.key)}>
                  <span class="zone-swatch" style={{ background: COLOURS[i % COLOURS.length] }} />
                  <label>
                    {t('zones.id')}
                    <input data-testid="zone-id" value={d.id} disabled={fixedId(d)} onInput={(e) => update(d.key, { id: (e.target as HTMLInputElement).value.trim() })} />
                  </label>
                  <label>
                    {t('zones.name')}
                    <input data-testid="zone-name" value={d.name} maxLength={60} onInput={(e) => update(d.key, { name: (e.target as HTMLInputElement).value })} />
                  </label>
                  <label>
                    {t('zones.anchor')}
                    <select data-testid="zone-anchor" value={d.anchor} onChange={(e) => update(d.key, { anchor: (e.target as HTMLSelectElement).value as Anchor })}>
                      <option value="centre">{t('zones.anchor.centre')}</option>
                      <option value="bottom">{t('zones.anchor.bottom')}</option>
                    </select>
                  </label>
                  <span class={`zone-source src-${d.source}`} data-testid="zone-source">{t(sourceKey(d.source))}</span>
                  <small class="zone-meta">
                    {t('zones.points', { n: d.points.length })}
                    {!d.closed && ` · ${t('zones.open')}`}
                    {d.updatedBy && d.updatedAt && ` · ${t('zones.by', { who: d.updatedBy, t: fmtDateTime(d.updatedAt) })}`}
                    {rules.length > 0 && <span data-testid="zone-rules"> · {t('zones.usedBy', { rules: rules.join(', ') })}</span>}
                  </small>
                  {d.source === 'override' && (
                    <button type="button" data-testid="zone-default" onClick={(e) => (e.stopPropagation(), toDefault(d))}>{t('zones.toDefault')}</button>
                  )}
                  <button type="button" data-testid="zone-delete" disabled={rules.length > 0} title={rules.length ? t('zones.inUse', { rules: rules.join(', ') }) : undefined} onClick={(e) => (e.stopPropagation(), remove(d))}>
                    {t('zones.delete')}
                  </button>
                </li>
              );
            })}
          </ul>
          {data.removed.length > 0 && (
            <div class="zones-removed">
              <h3>{t('zones.removed')}</h3>
              <ul>
                {data.removed.map((z) => (
                  <li key={z.id} data-testid="zone-removed" data-zone={z.id}>
                    <b>{z.name ?? z.id}</b> <small>{z.updatedBy && z.updatedAt && t('zones.by', { who: z.updatedBy, t: fmtDateTime(z.updatedAt) })}</small>{' '}
                    <button type="button" data-testid="zone-restore" onClick={() => restore(z)}>{t('zones.restore')}</button>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
