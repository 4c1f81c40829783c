import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { DeviceStatus, KioskEvents, ScaleWeightMsg, SiteInfo } from '../../gateway/server/wire.ts';
import { fmtGrams, fmtTime } from '../format.ts';
import { byDevice, idsOfKind, upsertDevice, useGateway } from '../gateway.ts';
import { useLang } from '../i18n.ts';
import { isDown } from '../ui/StateBadge.tsx';
import { Shell } from '../ui/Shell.tsx';

/** `?scale=<id>` picks the scale of this station; otherwise the first one. */
const wantedScale = new URLSearchParams(location.search).get('scale');

interface WeightProps { w: ScaleWeightMsg | undefined; device: DeviceStatus | undefined; connected: boolean }

function Weight({ w, device, connected }: WeightProps) {
  const { t } = useLang();
  const live = !!w && w.stable && connected && !isDown(device);
  return (
    <div class="weight">
      <div class="weight-figure">
        <span
          class={live ? 'stable' : 'unstable'}
          data-testid="weight-grams"
          data-value={w?.grams}
          data-stable={w ? String(w.stable) : undefined}
        >
          {w ? fmtGrams(w.grams) : '—'}
        </span>
        <span class="weight-unit">g</span>
      </div>
      {w && (
        <div class="weight-tags">
          <span class="tag">{t(w.net ? 'checkout.net' : 'checkout.gross')}</span>
          <span class="tag">{t(w.stable ? 'checkout.stable' : 'checkout.unstable')}</span>
          {w.overload && <span class="tag tag-alarm">{t('checkout.overload')}</span>}
          {w.underload && <span class="tag tag-alarm">{t('checkout.underload')}</span>}
        </div>
      )}
      {device && isDown(device) && (
        <p class="alert">{t('checkout.scaleDown', { state: t(`state.${device.state}`), t: fmtTime(device.since) })}</p>
      )}
    </div>
  );
}

function Checkout() {
  const { t } = useLang();
  const [site, setSite] = useState<SiteInfo>();
  const [devices, setDevices] = useState<DeviceStatus[]>([]);
  const [weights, setWeights] = useState<Record<string, ScaleWeightMsg>>({});
  const conn = useGateway<KioskEvents>('/kiosk', {
    snapshot: (s) => {
      setSite(s.site);
      setDevices(s.devices);
      setWeights(byDevice(s.weights));
    },
    'scale:weight': (m) => setWeights((ws) => ({ ...ws, [m.deviceId]: m })),
    'device:state': (d) => setDevices((ds) => upsertDevice(ds, d)),
  });
  const scales = idsOfKind(devices, 'scale', weights);
  const scaleId = wantedScale ?? scales[0];

  return (
    <Shell path="/" conn={conn} siteName={site?.name} nav={false}>
      <section class="checkout">
        <p class="prompt">{t('checkout.prompt')}</p>
        {scaleId ? (
          <Weight w={weights[scaleId]} device={devices.find((d) => d.id === scaleId)} connected={conn.state === 'connected'} />
        ) : (
          site && <p class="empty">{t('checkout.noScale')}</p>
        )}
      </section>
    </Shell>
  );
}

render(<Checkout />, document.getElementById('app')!);
