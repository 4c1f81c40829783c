// The camera wall: the latest frame of each camera with the latest detections drawn
// (boxes that make a rule's condition true in red), its time and state.
import type { CameraFrameMsg, DeviceStatus } from '../../gateway/wire/devices.ts';
import { fmtTime } from '../format.ts';
import { useLang } from '../i18n.ts';
import { StateBadge } from '../ui/StateBadge.tsx';

/** The annotated JPEG of a frame (gateway/kitchen: drawn on request, once per frame). */
const annotatedUrl = (f: CameraFrameMsg) => `/api/kitchen/cameras/${encodeURIComponent(f.deviceId)}/annotated.jpg?seq=${f.seq}`;

/** The gateway's reason (gateway/kitchen/watch.ts detectionOff) as a sentence for the cooks: no model names, no paths. */
function problemKey(reason: string): 'kitchen.detectionOffMissing' | 'kitchen.detectionOffDamaged' | 'kitchen.detectionOff' {
  if (/^detection off: model \S+ not installed/.test(reason)) return 'kitchen.detectionOffMissing';
  if (/^detection off: model \S+ damaged/.test(reason)) return 'kitchen.detectionOffDamaged';
  return 'kitchen.detectionOff';
}

function CameraCard({ id, device, frame }: { id: string; device: DeviceStatus | undefined; frame: CameraFrameMsg | undefined }) {
  const { t } = useLang();
  return (
    <figure class={`card camera card-${device?.state ?? 'starting'}`}>
      {frame ? (
        <img src={annotatedUrl(frame)} width={frame.width} height={frame.height} alt={id} data-testid="camera-frame" data-device={id} data-seq={frame.seq} />
      ) : (
        <div class="no-frame">{t('kitchen.noFrame')}</div>
      )}
      <figcaption>
        <b>{id}</b>
        <span>{frame && t('kitchen.frameAt', { t: fmtTime(frame.at) })}</span>
        <StateBadge device={device} />
      </figcaption>
      {device?.state === 'degraded' && device.lastError && (
        <p class="camera-problem" data-testid="camera-problem" data-reason={problemKey(device.lastError)}>
          {t(problemKey(device.lastError))}
        </p>
      )}
    </figure>
  );
}

export function CameraWall({ cameras, devices, frames }: { cameras: string[]; devices: DeviceStatus[]; frames: Record<string, CameraFrameMsg> }) {
  return (
    <div class="grid wall">
      {cameras.map((id) => (
        <CameraCard key={id} id={id} device={devices.find((d) => d.id === id)} frame={frames[id]} />
      ))}
    </div>
  );
}
