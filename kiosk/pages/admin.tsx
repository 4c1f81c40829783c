import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { AdminEvents, AdminSnapshot } from '../../gateway/wire/admin.ts';
import type { DeviceStatus } from '../../gateway/wire/devices.ts';
import { fmtDateTime, fmtDuration, fmtTime } from '../format.ts';
import { upsertDevice, useGateway, useNow } from '../gateway.ts';
import { useLang } from '../i18n.ts';
import { Shell } from '../ui/Shell.tsx';
import { OutboxPanel } from '../ui/OutboxPanel.tsx';
import { CatalogAdmin } from '../ui/CatalogAdmin.tsx';
import { OpsPanel } from '../ops/OpsPanel.tsx';
import { ScaleVerifications } from '../ops/ScaleVerifications.tsx';
import { BiometricsAdmin } from '../biometrics/BiometricsAdmin.tsx';
import { ZoneEditor } from '../kitchen/ZoneEditor.tsx';
import { StateBadge } from '../ui/StateBadge.tsx';
import '../i18n/admin.ts';
import '../i18n/checkout.ts';
import '../i18n/biometrics.ts';
import '../i18n/kitchen.ts';

function SiteSummary({ snap }: { snap: AdminSnapshot }) {
  const { t } = useLang();
  const now = useNow();
  return (
    <dl class="summary">
      <div><dt>{t('admin.site')}</dt><dd>{snap.site.name}</dd></div>
      <div><dt>{t('admin.version')}</dt><dd>{snap.site.version}</dd></div>
      <div>
        <dt>{t('admin.uptime')}</dt>
        <dd title={fmtDateTime(snap.startedAt)}>{fmtDuration(now - snap.startedAt)}</dd>
      </div>
    </dl>
  );
}

function DeviceTable({ devices }: { devices: DeviceStatus[] }) {
  const { t } = useLang();
  return (
    <table class="devices">
      <thead>
        <tr>
          <th>{t('admin.device')}</th>
          <th>{t('admin.kind')}</th>
          <th>{t('admin.state')}</th>
          <th>{t('admin.since')}</th>
          <th>{t('admin.lastGood')}</th>
          <th>{t('admin.lastError')}</th>
        </tr>
      </thead>
      <tbody>
        {devices.map((d) => (
          <tr key={d.id} data-testid="device-row" data-device={d.id} data-kind={d.kind} data-state={d.state}>
            <td><b>{d.id}</b></td>
            <td>{t(`kind.${d.kind}`)}</td>
            <td><StateBadge device={d} /></td>
            <td>{fmtTime(d.since)}</td>
            <td>{fmtTime(d.lastGoodAt)}</td>
            <td class={d.lastError ? 'error' : 'none'}>{d.lastError ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Admin() {
  const { t } = useLang();
  const [snap, setSnap] = useState<AdminSnapshot>();
  const conn = useGateway<AdminEvents>('/admin', {
    snapshot: (s) => setSnap({ ...s, devices: [...s.devices].sort((a, b) => a.id.localeCompare(b.id)) }),
    'device:state': (d) => setSnap((s) => s && { ...s, devices: upsertDevice(s.devices, d) }),
    'outbox:status': (o) => setSnap((s) => s && { ...s, outbox: o }),
  });

  return (
    <Shell path="/admin" conn={conn} siteName={snap?.site.name}>
      {snap && (
        <>
          <SiteSummary snap={snap} />
          <h2>{t('admin.devices')}</h2>
          {snap.devices.length > 0 ? <DeviceTable devices={snap.devices} /> : <p class="empty">{t('admin.noDevices')}</p>}
          <h2>{t('outbox.title')}</h2>
          {snap.outbox && <OutboxPanel status={snap.outbox} />}
          <ScaleVerifications />
          <OpsPanel />
          <CatalogAdmin />
          <BiometricsAdmin />
          <ZoneEditor cameras={snap.devices.filter((d) => d.kind === 'camera').map((d) => d.id)} />
        </>
      )}
    </Shell>
  );
}

render(<Admin />, document.getElementById('app')!);
