// The two cookies: a staff sign-in and a paired kiosk device. Both HttpOnly
// (no script reads them), SameSite=Strict (never sent on a cross-site request),
// Path=/, Secure when the gateway serves HTTPS. The kiosk cookie outlives a staff
// sign-in on the same device: signing out returns the screen to its station.
export const SESSION_COOKIE = 'ce_session';
export const KIOSK_COOKIE = 'ce_kiosk';

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header || header.length > 8192) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    // first one wins, as browsers send the most specific first
    if (!out.has(name) && /^[A-Za-z0-9_-]{1,200}$/.test(value)) out.set(name, value);
  }
  return out;
}

export function serializeCookie(name: string, value: string, opts: { maxAgeMs: number; secure: boolean }): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(opts.maxAgeMs / 1000))}`];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

export const clearCookie = (name: string, secure: boolean) => serializeCookie(name, '', { maxAgeMs: 0, secure });
