import type { Conn } from '../gateway.ts';
import { fmtTime } from '../format.ts';
import { useLang } from '../i18n.ts';

export function ConnBanner({ conn }: { conn: Conn }) {
  const { t } = useLang();
  const text = conn.state === 'offline' ? t('conn.offline', { t: fmtTime(conn.since) }) : t(`conn.${conn.state}`);
  return (
    <div class={`conn conn-${conn.state}`} data-testid="conn-banner" data-state={conn.state} role="status" aria-live="polite">
      {text}
    </div>
  );
}
