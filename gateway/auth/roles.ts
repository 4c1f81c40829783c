// Who may do what. Every HTTP route declares an access rule when it is registered
// (`config: { access: … }`), every Socket.IO namespace and client event has one in
// the tables below; anything without a rule is refused (a route without one stops
// the gateway from starting).
//
//   kiosk       a diner kiosk: no login, bound to one checkout station by a pairing code
//   kitchen     kitchen staff: the kitchen board
//   supervisor  kitchen supervisor: everything kitchen staff may, plus acknowledging/resolving
//   facility    facility staff: the energy panel and its APIs, metrics
//   cashier     the pay-at-counter desk: confirm or cancel sales awaiting payment, receipts
//   admin       everything
import type { FastifyRequest } from 'fastify';

export const ROLES = ['kiosk', 'kitchen', 'supervisor', 'facility', 'cashier', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** The roles an account can have (a kiosk is paired, never signs in). */
export const STAFF_ROLES = ['kitchen', 'supervisor', 'facility', 'cashier', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);
export const isStaffRole = (s: string): s is StaffRole => (STAFF_ROLES as readonly string[]).includes(s);

export interface Principal {
  kind: 'staff' | 'kiosk';
  role: Role;
  /** the account's username, or `kiosk:<station>` */
  name: string;
  /** kiosks: the station and scale they are paired to */
  station?: string;
  scale?: string;
  /** the session's id (a hash of its token, never the token) */
  session: string;
  expiresAt: number;
}

export interface Rule {
  /** `public`, or the roles allowed besides admin (who may do everything) */
  roles: 'public' | readonly Role[];
  /** the station a request concerns: a kiosk may only act for the station it is paired to (undefined: refused) */
  station?: (req: FastifyRequest) => string | null | undefined;
  /** also accept `Authorization: Bearer <token>` (e.g. server.metrics_token) */
  token?: string | undefined;
  /** an HTML page: without the right sign-in, redirect to /login?next=… instead of 401/403 */
  page?: boolean;
}

/** What a route declares: `'public'`, a list of roles, or a full rule. */
export type Access = 'public' | readonly Role[] | Rule;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** who is calling, once the access check passed; null on public routes without a session */
    principal: Principal | null;
  }
}

export function toRule(access: Access): Rule {
  if (access === 'public') return { roles: 'public' };
  if (Array.isArray(access)) return { roles: access as readonly Role[] };
  return access as Rule;
}

/** Whether `role` holds a right given to `roles` (admin holds every right; supervisor every kitchen right). */
export function roleAllowed(roles: Rule['roles'], role: Role): boolean {
  if (roles === 'public' || role === 'admin') return true;
  return roles.includes(role) || (role === 'supervisor' && roles.includes('kitchen'));
}

/** Whether the principal may use a route with this rule (station checks for kiosks included). */
export function allows(rule: Rule, p: Principal, req?: FastifyRequest): boolean {
  if (!roleAllowed(rule.roles, p.role)) return false;
  if (p.kind === 'kiosk' && rule.station) return !!req && rule.station(req) === p.station;
  return true;
}

/** The roles a rule lets in, written out (for the rule table and the tests). */
export function allowedRoles(rule: Rule): 'public' | Role[] {
  const roles = rule.roles;
  return roles === 'public' ? 'public' : ROLES.filter((r) => roleAllowed(roles, r));
}

// ── Socket.IO ────────────────────────────────────────────────────────────────

/** Who may connect to each namespace. `/` (the default namespace) has no rule: refused. */
export const NAMESPACE_ACCESS: Record<string, readonly Role[]> = {
  '/kiosk': ['kiosk'],
  '/kitchen': ['kitchen'],
  '/energy': ['facility'],
  '/admin': ['admin'],
};

/**
 * Client → server events each namespace accepts, and who may send them. The pages
 * only listen today; an event not listed here is refused (acknowledged with
 * `{ error }` when the client asked for an acknowledgement). Future kitchen events
 * go here, e.g. `'alert:resolve': ['supervisor']`.
 */
export const SOCKET_EVENTS: Record<string, Record<string, readonly Role[]>> = {
  // face pay (gateway/biometrics/kiosk-events.ts checks that the sale is the kiosk's station's)
  '/kiosk': { 'face:start': ['kiosk'], 'face:frame': ['kiosk'], 'face:confirm': ['kiosk'], 'face:cancel': ['kiosk'], 'face:enrol': ['kiosk'] },
  '/kitchen': {},
  '/energy': {},
  '/admin': {},
};
