// The operations part of /admin: models, disk, versions, the last warnings and
// errors, and the support bundle download. Devices and the outbox backlog per
// uplink are shown above it from the /admin socket; this polls GET /api/admin/ops.
import { useEffect, useState } from 'preact/hooks';
import type { OpsMsg } from '../../gateway/wire/admin.ts';
import { call } from '../checkout/api.ts';
import { fmtDateTime } from '../format.ts';
import { hasKey, useLang } from '../i18n.ts';
import { fmtBytes } from './bytes.ts';

export const OPS_POLL_MS = 10_000;

const MODEL_BADGE: Record<string, string> = { ok: 'online', missing: 'starting', 'hash-mismatch': 'offline', error: 'offline' };

export function OpsPanel() {
  const { t } = useLang();
  const [ops, setOps] = useState<OpsMsg | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = () =>
      call<OpsMsg>('GET', '/api/admin/ops').then(
        (o) => !stopped && (setOps(o), setError(null)),
        (e: Error) => !stopped && setError(e.message),
      );
    void load();
    const id = setInterval(load, OPS_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(id);
    };
  }, []);

  return (
    <section class="ops" data-testid="ops-panel">
      <h2>{t('ops.title')}</h2>
      {error && <p class="alert">{t('ops.loadFailed', { e: error })}</p>}
      <p>
        <a class="button" data-testid="support-bundle" href="/api/admin/support-bundle" download>{t('ops.bundle')}</a> <small>{t('ops.bundleNote')}</small>
      </p>
      {ops && (
        <div class="ops-grid">
          <Models models={ops.models} />
          <Disk disk={ops.disk} />
          <Versions v={ops.versions} boxId={ops.boxId} />
          <LastErrors lines={ops.lastErrors} />
        </div>
      )}
    </section>
  );
}

function Models({ models }: { models: OpsMsg['models'] }) {
  const { t } = useLang();
  const state = (s: string) => (hasKey(`ops.model.${s}`) ? t(`ops.model.${s}` as 'ops.model.ok') : s);
  return (
    <div class="ops-block">
      <h3>{t('ops.models')}</h3>
      <table class="devices">
        <thead>
          <tr><th>{t('ops.feature')}</th><th>{t('ops.model')}</th><th>{t('admin.state')}</th><th>{t('ops.todo')}</th></tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.name} data-testid="model-row" data-model={m.name} data-state={m.state}>
              <td data-testid="model-feature"><b>{hasKey(`ops.feature.${m.feature ?? 'none'}`) ? t(`ops.feature.${m.feature ?? 'none'}` as 'ops.feature.none') : m.feature}</b></td>
              <td>{m.name}</td>
              <td><span class={`badge badge-${MODEL_BADGE[m.state] ?? 'offline'}`}>{state(m.state)}</span></td>
              <td class="detail" data-testid="model-todo">{hasKey(`ops.todo.${m.state}`) ? t(`ops.todo.${m.state}` as 'ops.todo.ok', { name: m.name }) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Disk({ disk }: { disk: OpsMsg['disk'] }) {
  const { t } = useLang();
  return (
    <div class="ops-block">
      <h3>{t('ops.disk')}</h3>
      <dl class="summary">
        <div><dt>{t('ops.diskData')}</dt><dd data-testid="disk-used" data-bytes={disk.usedBytes} title={disk.dataDir}>{fmtBytes(disk.usedBytes)}</dd></div>
        <div><dt>{t('ops.diskFree')}</dt><dd data-testid="disk-free" data-bytes={disk.fs.availableBytes}>{fmtBytes(disk.fs.availableBytes)}</dd></div>
        <div><dt>{t('ops.diskTotal')}</dt><dd data-testid="disk-total" data-bytes={disk.fs.totalBytes}>{fmtBytes(disk.fs.totalBytes)} · {disk.fs.usedPercent}%</dd></div>
      </dl>
    </div>
  );
}

function Versions({ v, boxId }: { v: OpsMsg['versions']; boxId: string }) {
  const { t } = useLang();
  const rows: [string, string, string | number | null][] = [
    ['canteen-edge', 'canteen-edge', v.canteenEdge],
    ['node', 'Node.js', v.node],
    ['onnxruntime', 'onnxruntime', v.onnxruntime],
    ['sqlite', 'SQLite', v.sqlite],
    ['schema', t('ops.schema'), v.schema],
    ['os', t('ops.os'), `${v.os.name} · ${v.os.kernel} · ${v.os.arch}`],
    ['box', t('ops.boxId'), boxId],
  ];
  return (
    <div class="ops-block">
      <h3>{t('ops.versions')}</h3>
      <table class="devices">
        <tbody>
          {rows.map(([id, label, value]) => (
            <tr key={id} data-testid="version" data-name={id}>
              <th>{label}</th>
              <td>{value ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LastErrors({ lines }: { lines: OpsMsg['lastErrors'] }) {
  const { t } = useLang();
  return (
    <div class="ops-block ops-errors">
      <h3>{t('ops.lastErrors')}</h3>
      {lines.length === 0 ? (
        <p class="empty">{t('ops.noErrors')}</p>
      ) : (
        <ul>
          {lines.map((l, i) => (
            <li key={`${l.time}-${i}`} data-testid="error-row" data-level={l.level}>
              <span class={`badge badge-${l.level === 'warn' ? 'degraded' : 'offline'}`}>{l.level}</span> <time>{fmtDateTime(Date.parse(l.time))}</time>
              {l.module && <small> [{l.module}]</small>} {l.msg}
              {l.detail && <code>{l.detail}</code>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
