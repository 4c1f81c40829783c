// /login: staff sign in (username and password), a kiosk screen is paired with its
// station (a one-time code from `canteen-edge kiosk pair`), and whoever is signed
// in can sign out. Pages that need a role send the browser here with ?next=.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../checkout/api.ts';
import { setLang, useLang, type Key } from '../i18n.ts';
import '../i18n/login.ts';

interface Who { kind: 'staff' | 'kiosk'; role: string; name: string; station?: string; expiresAt: number }

/** Only a path on this site: never `//host`, `/\host` or a full URL (no open redirect). */
export function safeNext(raw: string | null): string {
  return raw && /^\/(?![/\\])[^\s\\]*$/.test(raw) && !raw.startsWith('/login') ? raw : '';
}

/** Where each role lands after signing in without ?next= (a cashier has no page of its own yet). */
const HOME: Record<string, string> = { admin: '/admin', kitchen: '/kitchen', supervisor: '/kitchen', facility: '/energy' };

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'));

// Fields look like the admin forms' inputs; set through the style object (CSSOM), which the CSP allows.
const field = { minHeight: '48px', fontSize: '20px', padding: '0 10px', border: '1px solid #d1d5db', borderRadius: '6px', minWidth: '260px', font: 'inherit' };

function errorText(t: (k: Key, v?: Record<string, string | number>) => string, err: unknown, refused: Key): string {
  if (err instanceof ApiError && err.status === 429) {
    const s = (err as ApiError & { details?: { retryAfterS?: number } }).details?.retryAfterS ?? 60;
    return t('login.tooMany', { s });
  }
  if (err instanceof ApiError && err.status === 401) return t(refused);
  return t('login.error', { e: err instanceof Error ? err.message : String(err) });
}

function Login() {
  const { lang, t } = useLang();
  const [who, setWho] = useState<Who[] | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pairError, setPairError] = useState<string | null>(null);

  const load = () => call<{ principals: Who[] }>('GET', '/api/auth/session').then((r) => setWho(r.principals), () => setWho([]));
  useEffect(() => {
    document.title = `${t('page.login')} · canteen-edge`;
    void load();
  }, [lang]);

  const staff = who?.find((w) => w.kind === 'staff');
  const kiosk = who?.find((w) => w.kind === 'kiosk');

  const signIn = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await call<Who>('POST', '/api/auth/login', { username, password });
      const home = HOME[me.role];
      if (next || home) location.replace(next || home!);
      else {
        setBusy(false);
        setPassword('');
        await load();
      }
    } catch (err) {
      setError(errorText(t, err, 'login.failed'));
      setPassword('');
      setBusy(false);
    }
  };

  const pair = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setPairError(null);
    try {
      await call('POST', '/api/auth/pair', { code });
      location.replace('/');
    } catch (err) {
      setPairError(errorText(t, err, 'login.pairFailed'));
      setBusy(false);
    }
  };

  const signOut = async () => {
    await call('POST', '/api/auth/logout', {}).catch(() => {});
    await load();
  };

  return (
    <div class="shell" data-conn="connected">
      <header class="top">
        <h1>{t('page.login')}</h1>
        <button type="button" class="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>{t('lang.toggle')}</button>
      </header>
      <main>
        <div class="co-admin" data-testid="login">
          {staff && (
            <section class="co-admin-block" data-testid="signed-in" data-role={staff.role}>
              <h3>{t('login.signedInAs', { name: staff.name, role: t(`role.${staff.role}` as Key) })}</h3>
              {next && <p class="alert" data-testid="need-role">{t('login.needRole')}</p>}
              <p>
                <button type="button" class="co-btn co-small" data-testid="sign-out" onClick={() => void signOut()}>{t('login.signOut')}</button>
              </p>
            </section>
          )}
          <section class="co-admin-block">
            <h3>{t('login.title')}</h3>
            <form class="co-admin-form" data-testid="login-form" onSubmit={(e) => void signIn(e)}>
              <label>
                {t('login.username')}
                <input name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required maxLength={64} style={field} value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
              </label>
              <label>
                {t('login.password')}
                <input name="password" type="password" autocomplete="current-password" required maxLength={1024} style={field} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
              </label>
              <button type="submit" class="co-btn co-ok" disabled={busy || !username || !password}>{t('login.submit')}</button>
              {error && <p class="alert" role="alert" data-testid="login-error">{error}</p>}
            </form>
          </section>
          <section class="co-admin-block" data-testid="pair">
            <h3>{t('login.pairTitle')}</h3>
            {kiosk ? (
              <p data-testid="paired" data-station={kiosk.station}>{t('login.paired', { station: kiosk.station ?? '' })} <a href="/">{t('page.checkout')}</a></p>
            ) : (
              <p class="empty">{t('login.pairHint')}</p>
            )}
            <form class="co-admin-form" data-testid="pair-form" onSubmit={(e) => void pair(e)}>
              <label>
                {t('login.pairCode')}
                <input name="code" autocomplete="off" autocapitalize="characters" spellcheck={false} required maxLength={32} placeholder="XXXX-XXXX" style={field} value={code} onInput={(e) => setCode(e.currentTarget.value)} />
              </label>
              <button type="submit" class="co-btn" disabled={busy || code.length < 4}>{t('login.pairSubmit')}</button>
              {pairError && <p class="alert" role="alert" data-testid="pair-error">{pairError}</p>}
            </form>
          </section>
        </div>
      </main>
    </div>
  );
}

render(<Login />, document.getElementById('app')!);
