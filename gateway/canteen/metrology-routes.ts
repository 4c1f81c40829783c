// Legal metrology routes: /api/canteen/verifications — the legal-for-trade scales'
// verification (检定) state for /admin, and a new verification entered by an admin (audited;
// see verification.ts); /api/canteen/audit — the weighing audit of a date range for an
// inspector (audit-export.ts), CSV or JSON.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/sqlite.ts';
import { auditCsv, checkRange, saleAudit } from './audit-export.ts';
import type { ScaleVerifications } from './verification.ts';

const READERS = { access: ['admin', 'supervisor', 'cashier'] } as const;
const ADMIN = { access: ['admin'] } as const;

const entryBody = {
  type: 'object',
  additionalProperties: false,
  required: ['verificationNo', 'verifiedUntil'],
  properties: {
    verificationNo: { type: 'string', minLength: 1, maxLength: 64 },
    verifiedUntil: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  },
} as const;

const INSPECTION = { access: ['supervisor', 'admin'] } as const;

export function metrologyRoutes(app: FastifyInstance, v: ScaleVerifications, changed: (scale: string) => void, audit: { db: Db; timeZone: string; log: (who: { actor: string; role: string | null; client: string | null }, detail: unknown) => void }): void {
  app.get<{ Querystring: { from?: string; to?: string; format?: 'csv' | 'json' } }>(
    '/api/canteen/audit',
    {
      config: INSPECTION,
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { from: { type: 'string', maxLength: 10 }, to: { type: 'string', maxLength: 10 }, format: { type: 'string', enum: ['csv', 'json'] } } } },
    },
    async (req, reply) => {
      const range = checkRange(req.query.from, req.query.to);
      const rows = saleAudit(audit.db, range, audit.timeZone);
      const format = req.query.format ?? 'json';
      audit.log({ actor: req.principal?.name ?? 'unknown', role: req.principal?.role ?? null, client: req.ip }, { ...range, format, sales: rows.length });
      const name = `weighing-audit-${range.from}-${range.to}.${format}`;
      reply.header('content-disposition', `attachment; filename="${name}"`);
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(auditCsv(rows));
      return { ...range, sales: rows };
    },
  );

  app.get('/api/canteen/verifications', { config: READERS }, async () => v.list());

  app.put<{ Params: { scale: string }; Body: { verificationNo: string; verifiedUntil: string } }>(
    '/api/canteen/verifications/:scale',
    { config: ADMIN, schema: { params: { type: 'object', properties: { scale: { type: 'string', minLength: 1, maxLength: 63 } }, required: ['scale'] }, body: entryBody } },
    async (req) => {
      const status = v.record(req.params.scale, req.body, { actor: req.principal?.name ?? 'unknown', role: req.principal?.role ?? null, client: req.ip });
      changed(req.params.scale);
      return status;
    },
  );
}
