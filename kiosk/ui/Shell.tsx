import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { markSigningOut, type Conn } from '../gateway.ts';
import { setLang, useLang, type Key } from '../i18n.ts';
import { ConnBanner } from './ConnBanner.tsx';

const PAGES: { path: string; key: Key }[] = [
  { path: '/', key: 'page.checkout' },
  { path: '/kitchen', key: 'page.kitchen' },
  { path: '/energy', key: 'page.energy' },
  { path: '/admin', key: 'page.admin' },
];

interface Props {
  path: string;
  conn: Conn;
  siteName?: string | undefined;
  /** demo data on (simulators.demo): a badge says so on every screen that passes it */
  demo?: boolean | undefined;
  /** The diner page hides the page nav and keeps only a small corner link to admin. */
  nav?: boolean;
  children: ComponentChildren;
}

/** The signed-in staff member's name and a sign-out button (nothing for a paired kiosk alone). */
function SignedIn() {
  const { t } = useLang();
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    fetch('/api/auth/session')
      .then((r) => r.json() as Promise<{ principals: { kind: string; name: string }[] }>)
      .then(
        (r) => setName(r.principals.find((p) => p.kind === 'staff')?.name ?? null),
        () => setName(null),
      );
  }, []);
  if (!name) return null;
  const signOut = async () => {
    markSigningOut();
    try {
      await fetch('/api/auth/logout', { method: 'POST' });
    } finally {
      location.assign('/login');
    }
  };
  return (
    <span class="who" data-testid="signed-in">
      {name}
      <button type="button" data-testid="sign-out" onClick={() => void signOut()}>{t('shell.signOut')}</button>
    </span>
  );
}

export function Shell({ path, conn, siteName, demo, nav = true, children }: Props) {
  const { lang, t } = useLang();
  const title = t(PAGES.find((p) => p.path === path)?.key ?? 'page.checkout');
  useEffect(() => {
    document.title = siteName ? `${title} · ${siteName}` : title;
  }, [title, siteName]);
  return (
    <div class="shell" data-conn={conn.state}>
      <header class="top">
        <h1>
          {title}
          {siteName && <small>{siteName}</small>}
          {demo && <mark class="demo-badge" data-testid="demo-badge">{t('shell.demo')}</mark>}
        </h1>
        {nav && (
          <nav>
            {PAGES.map((p) => (
              <a key={p.path} href={p.path} aria-current={p.path === path ? 'page' : undefined}>{t(p.key)}</a>
            ))}
          </nav>
        )}
        <ConnBanner conn={conn} />
        <SignedIn />
        <button type="button" class="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
          {t('lang.toggle')}
        </button>
      </header>
      <main>{children}</main>
      {!nav && <a class="corner" href="/admin">{t('page.admin')}</a>}
    </div>
  );
}
