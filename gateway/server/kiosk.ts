// Serves the kiosk pages, built once into kiosk/dist (gateway/kiosk-dist.ts) and read at start. Scripts
// and styles are public; each page's HTML needs its role (PAGE_ACCESS), and
// without it the browser is sent to /login?next=…. A paired kiosk always shows
// its own station.
import type { FastifyPluginAsync } from 'fastify';
import { toRule, type Access } from '../auth/roles.ts';
import type { KioskFiles } from '../kiosk-dist.ts';

export type { KioskFiles };

/** Who may open each page. A page missing here stops the gateway from starting. */
export const PAGE_ACCESS: Record<string, Access> = {
  '/': ['kiosk'],
  '/kitchen': ['kitchen'],
  '/energy': ['facility'],
  '/admin': ['admin'],
  '/login': 'public',
};

const id = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } as const;
const PAGE_QUERY: Record<string, object> = {
  '/': { type: 'object', properties: { station: id, scale: id } },
  '/login': { type: 'object', properties: { next: { type: 'string', maxLength: 500 } } },
};

export const kioskRoutes: FastifyPluginAsync<{ files: KioskFiles }> = async (app, { files }) => {
  for (const [urlPath, file] of files) {
    const page = file.contentType.startsWith('text/html');
    const access = page ? PAGE_ACCESS[urlPath] : 'public';
    if (access === undefined) throw new Error(`kiosk page ${urlPath} has no access rule: add it to PAGE_ACCESS in gateway/server/kiosk.ts`);
    const rule = page && access !== 'public' ? { ...toRule(access), page: true } : access;
    app.get<{ Querystring: { station?: string; scale?: string } }>(urlPath, { config: { access: rule }, schema: PAGE_QUERY[urlPath] ? { querystring: PAGE_QUERY[urlPath] } : {} }, async (req, reply) => {
      const p = req.principal;
      // a paired kiosk shows the station it is paired to, whatever the address says
      if (urlPath === '/' && p?.kind === 'kiosk' && (req.query.station !== p.station || (req.query.scale !== undefined && req.query.scale !== p.scale))) {
        return reply.header('cache-control', 'no-store').redirect(`/?station=${encodeURIComponent(p.station!)}`, 302);
      }
      return reply
        .type(file.contentType)
        .header('cache-control', page ? 'no-store' : 'no-cache')
        .send(file.body);
    });
  }
};
