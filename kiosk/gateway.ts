import { useEffect, useRef, useState } from 'preact/hooks';
import { io } from 'socket.io-client';
import type { DeviceStatus } from '../gateway/wire/devices.ts';
import { setTimeZone } from './format.ts';

export type ConnState = 'connected' | 'reconnecting' | 'offline';
/** `since`: when the connection was established (connected) or lost (otherwise), epoch ms. */
export interface Conn { state: ConnState; since: number }

export type Handlers<E> = { [K in keyof E]?: E[K] };

export const OFFLINE_AFTER_MS = 3000;

// Set while this page signs out: the sign-out goes to /login itself, and the sockets
// refused meanwhile must not race it with a redirect of their own.
let signingOut = false;
export function markSigningOut(): void {
  signingOut = true;
}

/** Subscribes to a gateway namespace on the page's own origin for the lifetime of the component. */
export function useGateway<E extends object>(namespace: string, handlers: Handlers<E>): Conn {
  const latest = useRef(handlers);
  latest.current = handlers;
  const [conn, setConn] = useState<Conn>(() => ({ state: 'reconnecting', since: Date.now() }));

  useEffect(() => {
    const socket = io(namespace, { transports: ['websocket', 'polling'] });
    let lostAt = Date.now();
    let offlineTimer: ReturnType<typeof setTimeout> | undefined;
    const armOffline = () => {
      clearTimeout(offlineTimer);
      offlineTimer = setTimeout(() => {
        if (!socket.connected) setConn({ state: 'offline', since: lostAt });
      }, Math.max(0, lostAt + OFFLINE_AFTER_MS - Date.now()));
    };

    socket.on('connect', () => {
      clearTimeout(offlineTimer);
      setConn({ state: 'connected', since: Date.now() });
    });
    socket.on('disconnect', (reason) => {
      lostAt = Date.now();
      setConn({ state: 'reconnecting', since: lostAt });
      armOffline();
      // The server dropped us on purpose (e.g. restart): socket.io does not retry on its own then.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.io.on('reconnect_attempt', () => {
      setConn((c) => (c.state === 'offline' ? c : { state: 'reconnecting', since: lostAt }));
      armOffline();
    });
    // The sign-in or pairing ended (signed out elsewhere, expired, kiosk unpaired): sign in again, then come back here.
    socket.on('connect_error', (err) => {
      if (err.message === 'unauthorized' && !signingOut) location.assign(loginUrl(location));
    });
    // Every namespace's snapshot carries the site: show times in its zone on every page.
    socket.on('snapshot', (s: { site?: { timezone?: string } } | undefined) => setTimeZone(s?.site?.timezone));
    for (const event of Object.keys(latest.current)) {
      socket.on(event, (...args: unknown[]) => {
        const fn = (latest.current as Record<string, ((...a: unknown[]) => void) | undefined>)[event];
        fn?.(...args);
      });
    }
    armOffline();

    return () => {
      clearTimeout(offlineTimer);
      socket.disconnect();
    };
  }, [namespace]);

  return conn;
}

/** /login with this page as `next`, so that signing in (or pairing) comes back here. */
export function loginUrl(here: { pathname: string; search: string }): string {
  return `/login?next=${encodeURIComponent(here.pathname + here.search)}`;
}

export function upsertDevice(list: DeviceStatus[], d: DeviceStatus): DeviceStatus[] {
  const i = list.findIndex((x) => x.id === d.id);
  if (i < 0) return [...list, d].sort((a, b) => a.id.localeCompare(b.id));
  const next = list.slice();
  next[i] = d;
  return next;
}

export function byDevice<M extends { deviceId: string }>(msgs: M[]): Record<string, M> {
  return Object.fromEntries(msgs.map((m) => [m.deviceId, m]));
}

/** Device ids of one kind, from the status list plus any id only seen in messages. */
export function idsOfKind(devices: DeviceStatus[], kind: DeviceStatus['kind'], seen: Record<string, unknown>): string[] {
  const ids = new Set(devices.filter((d) => d.kind === kind).map((d) => d.id));
  for (const id of Object.keys(seen)) ids.add(id);
  return [...ids].sort();
}

export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}
