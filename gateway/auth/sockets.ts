// Socket.IO access: every namespace checks the handshake's credentials (session or
// kiosk cookie, `Authorization: Bearer`, or `auth: { token }`) against
// NAMESPACE_ACCESS and refuses with a connect_error ("unauthorized" / "forbidden");
// a namespace without a rule — the default `/` included — refuses everyone. Each
// client → server event is checked against SOCKET_EVENTS. Sockets whose session
// ends (sign-out, password change, removal, expiry) are disconnected.
import type { IncomingMessage } from 'node:http';
import type { Namespace, Server, Socket } from 'socket.io';
import type { EventBus } from '../bus/event-bus.ts';
import type { Logger } from '../log.ts';
import type { Auth } from './auth.ts';
import { crossOrigin } from './http.ts';
import { NAMESPACE_ACCESS, SOCKET_EVENTS, roleAllowed, type Principal } from './roles.ts';

/** How often open sockets are checked against their sessions (a CLI change is seen within this). */
export const RECHECK_MS = 15_000;

type Refusal = Error & { data?: { status: number } };
const refusal = (message: string, status: number): Refusal => Object.assign(new Error(message), { data: { status } });

export const principalOf = (socket: Socket): Principal | null => (socket.data as { principal?: Principal | null }).principal ?? null;

/** Socket.IO's `allowRequest`: a browser handshake from a page of another origin is refused. */
export function sameOriginHandshake(req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void {
  const refused = req.headers.origin !== undefined && crossOrigin(req);
  callback(refused ? 'cross-origin handshake refused' : null, !refused);
}

/** Guards every namespace of `io`, now and created later. Returns a function that stops the re-checks. */
export function guardSockets(io: Server, opts: { auth: Auth | null; bus: EventBus; logger: Logger }): () => void {
  const { auth, bus, logger } = opts;
  const guard = (ns: Namespace) => {
    ns.use((socket, next) => {
      const roles = NAMESPACE_ACCESS[ns.name];
      if (!roles) return next(refusal('forbidden', 403));
      if (!auth) {
        socket.data = { principal: null };
        return next();
      }
      const h = socket.handshake;
      const principals = auth.principals({ cookie: h.headers.cookie, authorization: h.headers.authorization, token: (h.auth as { token?: unknown } | undefined)?.token });
      const p = principals.find((x) => roleAllowed(roles, x.role));
      if (!p) return next(principals.length ? refusal('forbidden', 403) : refusal('unauthorized', 401));
      socket.data = { principal: p };
      next();
    });
    ns.on('connection', (socket) => {
      socket.use(([event, ...args], next) => {
        const roles = SOCKET_EVENTS[ns.name]?.[event];
        const p = principalOf(socket);
        if (roles && (!auth || (p && roleAllowed(roles, p.role)))) return next();
        logger.debug({ namespace: ns.name, event, role: p?.role }, 'socket event refused');
        const ack = args.at(-1);
        if (typeof ack === 'function') (ack as (r: unknown) => void)({ error: `event "${event}" is not allowed here` });
      });
    });
  };
  for (const ns of io._nsps.values()) guard(ns);
  io.on('new_namespace', guard);
  if (!auth) return () => {};

  const disconnectWhere = (ended: (p: Principal) => boolean) => {
    for (const ns of io._nsps.values()) {
      for (const socket of ns.sockets.values()) {
        const p = principalOf(socket);
        if (p && ended(p)) socket.disconnect(true);
      }
    }
  };
  const off = bus.on('auth:revoked', ({ sessions }) => disconnectWhere((p) => (sessions === 'check' ? !auth.store.sessionById(p.session) : sessions.has(p.session))));
  const timer = setInterval(() => disconnectWhere((p) => !auth.store.sessionById(p.session)), RECHECK_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    off();
  };
}
