// What `canteen-edge kiosk pair` tells the installer on the terminal: the words of the
// /login page the code is typed into (kiosk/i18n/login.ts; test/first-run.test.ts keeps
// them equal) and the expiry in site time, not the laptop's zone or UTC.
import { localParts } from '../site-time.ts';

/** The page's words, Chinese then English: the section title and the field. */
export const PAGE_WORDS = {
  pairTitle: ['配对结算终端', 'Pair this kiosk'],
  pairCode: ['配对码', 'Pairing code'],
} as const;

export function pairingLine(code: string, expiresAt: number, timeZone: string): string {
  const { date, hhmm } = localParts(expiresAt, timeZone);
  const [titleZh, titleEn] = PAGE_WORDS.pairTitle;
  const [codeZh, codeEn] = PAGE_WORDS.pairCode;
  return (
    `${codeZh} ${code}：在终端的 /login 页「${titleZh}」处输入，${date} ${hhmm}（${timeZone}）前有效，仅限一次。\n` +
    `${codeEn} ${code}: enter it under "${titleEn}" on the kiosk's /login page before ${date} ${hhmm} (${timeZone}), once.\n`
  );
}
