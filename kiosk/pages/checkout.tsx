import { render } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { CanteenKioskEvents, KioskEvents } from '../../gateway/wire/canteen.ts';
import type { DeviceStatus, ScaleWeightMsg } from '../../gateway/wire/devices.ts';
import type { SiteInfo } from '../../gateway/wire/site.ts';
import { Station } from '../checkout/Station.tsx';
import { useCanteen, type Canteen } from '../checkout/useCanteen.ts';
import { Weight } from '../checkout/Weight.tsx';
import { byDevice, idsOfKind, upsertDevice, useGateway } from '../gateway.ts';
import { useLang } from '../i18n.ts';
import { Shell } from '../ui/Shell.tsx';
import '../i18n/checkout.ts';
import '../i18n/biometrics.ts';

/** `?station=<id>` or `?scale=<id>` picks this kiosk's station; otherwise the first one. */
const params = new URLSearchParams(location.search);
const wanted = { station: params.get('station'), scale: params.get('scale') };

function Checkout() {
  const { t } = useLang();
  const [site, setSite] = useState<SiteInfo>();
  const [devices, setDevices] = useState<DeviceStatus[]>([]);
  const [weights, setWeights] = useState<Record<string, ScaleWeightMsg>>({});
  const [facePay, setFacePay] = useState(false);
  const canteenRef = useRef<Canteen>();
  const conn = useGateway<KioskEvents & CanteenKioskEvents>('/kiosk', {
    snapshot: (s) => {
      setSite(s.site);
      setDevices(s.devices);
      setWeights(byDevice(s.weights));
      setFacePay(s.facePay === true);
    },
    'face:availability': (m) => setFacePay(m.facePay),
    'scale:weight': (m) => setWeights((ws) => ({ ...ws, [m.deviceId]: m })),
    'device:state': (d) => setDevices((ds) => upsertDevice(ds, d)),
    'station:state': (m) => canteenRef.current?.apply(m),
    'canteen:catalog': (m) => canteenRef.current?.catalogChanged(m),
  });
  const canteen = useCanteen(conn, wanted);
  canteenRef.current = canteen;
  const connected = conn.state === 'connected';

  // Without a canteen module (or a station for this scale): the live weight only.
  const scaleId = canteen.station?.scale ?? wanted.scale ?? idsOfKind(devices, 'scale', weights)[0];
  const device = devices.find((d) => d.id === scaleId);
  const w = scaleId ? weights[scaleId] : undefined;

  return (
    <Shell path="/" conn={conn} siteName={site?.name} demo={site?.demo} nav={false}>
      {canteen.station ? (
        <Station c={canteen} device={device} connected={connected} facePay={facePay} />
      ) : (
        <section class="checkout">
          <p class="prompt">{t('checkout.prompt')}</p>
          {scaleId ? (
            <Weight
              grams={w ? w.grams : null}
              stable={!!w?.stable}
              live={connected}
              tags={w ? [t(w.net ? 'checkout.net' : 'checkout.gross'), t(w.stable ? 'checkout.stable' : 'checkout.unstable')] : []}
              alarms={w ? [...(w.overload ? [t('checkout.overload')] : []), ...(w.underload ? [t('checkout.underload')] : [])] : []}
              device={device}
            />
          ) : (
            site && <p class="empty">{t('checkout.noScale')}</p>
          )}
        </section>
      )}
    </Shell>
  );
}

render(<Checkout />, document.getElementById('app')!);
