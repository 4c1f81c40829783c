import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { CameraFrameMsg, DeviceStatus, KitchenEvents, SiteInfo } from '../../gateway/server/wire.ts';
import { fmtTime } from '../format.ts';
import { byDevice, idsOfKind, upsertDevice, useGateway } from '../gateway.ts';
import { useLang } from '../i18n.ts';
import { Shell } from '../ui/Shell.tsx';
import { StateBadge } from '../ui/StateBadge.tsx';

function CameraCard({ id, device, frame }: { id: string; device: DeviceStatus | undefined; frame: CameraFrameMsg | undefined }) {
  const { t } = useLang();
  return (
    <figure class={`card camera card-${device?.state ?? 'starting'}`}>
      {frame ? (
        <img
          src={frame.url}
          width={frame.width}
          height={frame.height}
          alt={id}
          data-testid="camera-frame"
          data-device={id}
          data-seq={frame.seq}
        />
      ) : (
        <div class="no-frame">{t('kitchen.noFrame')}</div>
      )}
      <figcaption>
        <b>{id}</b>
        <span>{frame && t('kitchen.frameAt', { t: fmtTime(frame.at) })}</span>
        <StateBadge device={device} />
      </figcaption>
    </figure>
  );
}

function Kitchen() {
  const { t } = useLang();
  const [site, setSite] = useState<SiteInfo>();
  const [devices, setDevices] = useState<DeviceStatus[]>([]);
  const [frames, setFrames] = useState<Record<string, CameraFrameMsg>>({});
  const conn = useGateway<KitchenEvents>('/kitchen', {
    snapshot: (s) => {
      setSite(s.site);
      setDevices(s.devices);
      setFrames(byDevice(s.frames));
    },
    'camera:frame': (m) => setFrames((fs) => ({ ...fs, [m.deviceId]: m })),
    'device:state': (d) => setDevices((ds) => upsertDevice(ds, d)),
  });
  const cameras = idsOfKind(devices, 'camera', frames);

  return (
    <Shell path="/kitchen" conn={conn} siteName={site?.name}>
      {site && cameras.length === 0 && <p class="empty">{t('kitchen.noCameras')}</p>}
      <div class="grid wall">
        {cameras.map((id) => (
          <CameraCard key={id} id={id} device={devices.find((d) => d.id === id)} frame={frames[id]} />
        ))}
      </div>
    </Shell>
  );
}

render(<Kitchen />, document.getElementById('app')!);
