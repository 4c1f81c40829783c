import { useLang } from '../i18n.ts';
import type { ConsentText as Text } from './api.ts';

/**
 * The notice before consent, in the page's language (PIPL arts. 17, 30): who processes the
 * face data and how to reach them, the purpose and its effect on the person, retention, how
 * to withdraw, and that the other ways to pay always work; with the text version consent is
 * recorded against.
 */
export function ConsentText({ text }: { text: Text }) {
  const { t, lang } = useLang();
  const parts = text[lang];
  return (
    <div class="bio-consent" data-testid="consent-text" data-version={text.version}>
      <h4>{t('bio.processor')}</h4>
      <p data-testid="consent-processor">
        {text.processor.name ?? '—'} · {t('bio.contact')}: {text.processor.contact ?? t('bio.contactDesk')}
      </p>
      <h4>{t('bio.purpose')}</h4>
      <p>{parts.purpose}</p>
      <h4>{t('bio.effect')}</h4>
      <p>{parts.effect}</p>
      <h4>{t('bio.retention')}</h4>
      <p>{parts.retention} {t('bio.retentionDays', { n: text.retention_days })}</p>
      <h4>{t('bio.withdrawHow')}</h4>
      <p>{parts.withdraw}</p>
      <h4>{t('bio.alternative')}</h4>
      <p>{parts.alternative}</p>
      <p class="co-muted">{t('bio.textVersion', { v: text.version })}</p>
    </div>
  );
}
