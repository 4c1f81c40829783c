// /api/canteen/verifications: the legal-for-trade scales' verification (检定) state for
// /admin, and a new verification entered by an admin (audited; see verification.ts).
import type { FastifyInstance } from 'fastify';
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

export function verificationRoutes(app: FastifyInstance, v: ScaleVerifications, changed: (scale: string) => void): void {
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
