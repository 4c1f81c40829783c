import type { DeviceStatus } from '../../gateway/wire/devices.ts';
import { fmtGrams, fmtTime } from '../format.ts';
import { useLang } from '../i18n.ts';
import { isDown } from '../ui/StateBadge.tsx';

interface Props {
  grams: number | null;
  stable: boolean;
  /** connected and the scale up: otherwise the figure stays grey */
  live: boolean;
  tags: string[];
  alarms: string[];
  device: DeviceStatus | undefined;
  compact?: boolean;
}

/** The live weight: grey while moving, black when stable. */
export function Weight({ grams, stable, live, tags, alarms, device, compact }: Props) {
  const { t } = useLang();
  return (
    <div class={compact ? 'weight co-weight' : 'weight'}>
      <div class="weight-figure">
        <span class={live && stable ? 'stable' : 'unstable'} data-testid="weight-grams" data-value={grams ?? undefined} data-stable={grams === null ? undefined : String(stable)}>
          {grams === null ? '—' : fmtGrams(grams)}
        </span>
        <span class="weight-unit">g</span>
      </div>
      {(tags.length > 0 || alarms.length > 0) && (
        <div class="weight-tags">
          {tags.map((x) => <span key={x} class="tag">{x}</span>)}
          {alarms.map((x) => <span key={x} class="tag tag-alarm">{x}</span>)}
        </div>
      )}
      {device && isDown(device) && <p class="alert">{t('checkout.scaleDown', { state: t(`state.${device.state}`), t: fmtTime(device.since) })}</p>}
    </div>
  );
}
