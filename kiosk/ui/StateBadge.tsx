import type { DeviceStatus } from '../../gateway/wire/devices.ts';
import { fmtTime } from '../format.ts';
import { useLang } from '../i18n.ts';

export function isDown(d: DeviceStatus | undefined): boolean {
  return d?.state === 'offline' || d?.state === 'degraded';
}

/** "在线", or "离线，自 HH:MM:SS" for a device that is offline or degraded. */
export function StateBadge({ device }: { device: DeviceStatus | undefined }) {
  const { t } = useLang();
  if (!device) return <span class="badge badge-starting">{t('state.starting')}</span>;
  const state = t(`state.${device.state}`);
  return (
    <span class={`badge badge-${device.state}`}>
      {isDown(device) ? t('state.since', { state, t: fmtTime(device.since) }) : state}
    </span>
  );
}
