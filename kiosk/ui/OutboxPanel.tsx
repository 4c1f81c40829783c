import type { OutboxStatusMsg } from '../../gateway/wire/admin.ts';
import { fmtTime } from '../format.ts';
import { hasKey, useLang } from '../i18n.ts';

const LINK_BADGE = { online: 'online', 'backing-off': 'degraded', offline: 'offline', stalled: 'offline' } as const;

/** Uplinks, backlog per stream, drops and alarms of the store-and-forward outbox. */
export function OutboxPanel({ status }: { status: OutboxStatusMsg }) {
  const { t } = useLang();
  const streamName = (s: string) => {
    const key = `stream.${s}`;
    return hasKey(key) ? t(key) : s;
  };
  const streams = [...new Set(status.backlog.map((b) => b.stream))];
  const backlog = (uplink: string, stream: string) => status.backlog.find((b) => b.uplink === uplink && b.stream === stream)?.records ?? 0;
  return (
    <section class="outbox">
      {status.alarms.map((a) => (
        <p key={a} class="alert" data-testid="outbox-alarm">{a}</p>
      ))}
      {status.links.length === 0 ? (
        <p class="empty">{t('outbox.noUplinks')}</p>
      ) : (
        <table class="devices">
          <thead>
            <tr>
              <th>{t('outbox.uplink')}</th>
              <th>{t('admin.state')}</th>
              {streams.map((s) => <th key={s}>{streamName(s)}</th>)}
              <th>{t('admin.lastError')}</th>
            </tr>
          </thead>
          <tbody>
            {status.links.map((l) => (
              <tr key={l.uplink} data-testid="uplink-row" data-uplink={l.uplink} data-state={l.state}>
                <td><b>{l.uplink}</b></td>
                <td>
                  <span class={`badge badge-${LINK_BADGE[l.state]}`}>
                    {t(`link.${l.state}`)}{l.state !== 'online' && ` · ${t('outbox.since', { t: fmtTime(l.since) })}`}
                  </span>
                  {l.retryAt && <small> {t('outbox.retryAt', { t: fmtTime(l.retryAt) })}</small>}
                </td>
                {streams.map((s) => <td key={s} class="num" data-testid="backlog" data-stream={s}>{backlog(l.uplink, s)}</td>)}
                <td class={l.lastError ? 'error' : 'none'}>{l.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="meta">
        {t('outbox.held', { n: status.held.reduce((s, h) => s + h.records, 0) })} · {t('outbox.deadLetters', { n: status.deadLetters })}
        {status.drops.map((d) => ` · ${streamName(d.stream)} ${d.reason}: ${d.count}`).join('')}
      </p>
    </section>
  );
}
