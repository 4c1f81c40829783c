import { useLang } from '../i18n.ts';
import type { ConsentText as Text } from './api.ts';

/** Purpose, retention and the alternative, in the page's language, with the text version consent is recorded against. */
export function ConsentText({ text }: { text: Text }) {
  const { t, lang } = useLang();
  const parts = text[lang];
  return (
    <div class="bio-consent" data-testid="consent-text" data-version={text.version}>
      <h4>{t('bio.purpose')}</h4>
      <p>{parts.purpose}</p>
      <h4>{t('bio.retention')}</h4>
      <p>{parts.retention}</p>
      <h4>{t('bio.alternative')}</h4>
      <p>{parts.alternative}</p>
      <p class="co-muted">{t('bio.textVersion', { v: text.version })}</p>
    </div>
  );
}
