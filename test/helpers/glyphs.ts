// Missing-glyph detection: a character no installed font covers is drawn as the
// ".notdef" box (tofu). U+10FFFD (a private-use code point no font maps) always draws
// that box, so a character whose pixels equal it was not drawn as itself.
import type { Page } from 'playwright-core';
import sharp from 'sharp';

/** Code points that always render as the missing-glyph box. */
export const NOTDEF = '\u{10FFFD}';

/** Chinese characters (Han, CJK punctuation, full-width forms) in `text`, each once. */
export function cjkChars(text: string): string[] {
  return [...new Set(text.match(/[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/gu) ?? [])];
}

/** The Chinese characters of the page's visible text that Chromium draws as boxes, in the body's own font. */
export async function missingGlyphsOnPage(page: Page): Promise<{ checked: number; missing: string[] }> {
  const chars = cjkChars(await page.evaluate(() => document.body.innerText));
  const missing = await page.evaluate(
    ({ chars, notdef }) => {
      const font = `32px ${getComputedStyle(document.body).fontFamily}`;
      const draw = (ch: string) => {
        const c = document.createElement('canvas');
        c.width = 48;
        c.height = 48;
        const g = c.getContext('2d')!;
        g.font = font;
        g.fillStyle = '#000';
        g.fillText(ch, 4, 36);
        return c.toDataURL();
      };
      const box = draw(notdef);
      return chars.filter((ch) => draw(ch) === box);
    },
    { chars, notdef: NOTDEF },
  );
  return { checked: chars.length, missing };
}

/**
 * Whether SVG text in `fontFamily` (through sharp/librsvg, as the camera's file source draws
 * it) shows Chinese glyphs: librsvg draws a missing glyph as a full-height box with the code
 * point's hex digits, while 一 ("one", a single horizontal stroke) has little ink height.
 */
export async function svgDrawsChinese(fontFamily: string): Promise<{ drawn: boolean; inkHeight: number }> {
  const size = 64;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120"><rect width="120" height="120" fill="#fff"/><text x="20" y="80" font-family="${fontFamily}" font-size="${size}" fill="#000">一</text></svg>`;
  const { info } = await sharp(Buffer.from(svg)).flatten({ background: '#fff' }).trim({ threshold: 40 }).toBuffer({ resolveWithObject: true });
  return { drawn: info.height < size * 0.25, inkHeight: info.height };
}
