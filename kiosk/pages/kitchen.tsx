import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { CameraFrameMsg, DeviceStatus } from '../../gateway/wire/devices.ts';
import type { KitchenAlertMsg, KitchenEvents } from '../../gateway/wire/kitchen.ts';
import type { SiteInfo } from '../../gateway/wire/site.ts';
import { byDevice, idsOfKind, upsertDevice, useGateway } from '../gateway.ts';
import { useLang } from '../i18n.ts';
import { Alerts, upsertAlert } from '../kitchen/Alerts.tsx';
import { CameraWall } from '../kitchen/CameraWall.tsx';
import { Records } from '../kitchen/Records.tsx';
import { Sensors } from '../kitchen/Sensors.tsx';
import { Shell } from '../ui/Shell.tsx';
import '../i18n/kitchen.ts';

function Kitchen() {
  const { t } = useLang();
  const [site, setSite] = useState<SiteInfo>();
  const [devices, setDevices] = useState<DeviceStatus[]>([]);
  const [frames, setFrames] = useState<Record<string, CameraFrameMsg>>({});
  const [alerts, setAlerts] = useState<KitchenAlertMsg[]>([]);
  const changed = (a: KitchenAlertMsg) => setAlerts((list) => upsertAlert(list, a));
  const conn = useGateway<KitchenEvents>('/kitchen', {
    snapshot: (s) => {
      setSite(s.site);
      setDevices(s.devices);
      setFrames(byDevice(s.frames));
      setAlerts(s.alerts ?? []);
    },
    'camera:frame': (m) => setFrames((fs) => ({ ...fs, [m.deviceId]: m })),
    'device:state': (d) => setDevices((ds) => upsertDevice(ds, d)),
    'alert:new': changed,
    'alert:update': changed,
  });
  const cameras = idsOfKind(devices, 'camera', frames);

  return (
    <Shell path="/kitchen" conn={conn} siteName={site?.name}>
      {site && cameras.length === 0 && <p class="empty">{t('kitchen.noCameras')}</p>}
      <CameraWall cameras={cameras} devices={devices} frames={frames} />
      <Alerts alerts={alerts} onChange={changed} />
      {/* records */}
      <Records />
      <Sensors />
    </Shell>
  );
}

render(<Kitchen />, document.getElementById('app')!);
