// The HTTP API of face enrolment and the person's rights (docs: gateway/biometrics/README.md).
// Staff enrol at /admin: consent first (with a guardian for a minor), then 1–5 photos;
// withdrawal, deletion and export on the person's request. Every act is audited with the
// signed-in staff member as the actor. Photos come as base64 JPEG; only the enrolment
// route takes bodies up to 2 MB.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isDiskFull } from '../ops/disk-guard.ts';
import type { BiometricsModule } from './module.ts';
import { isCalendarDate } from '../payments/birth-date.ts';
import { ASSESSMENT_FIELDS, type ImpactAssessmentInput } from './assessment.ts';
import { BiometricError } from './vault.ts';

export const ENROL_BODY_LIMIT = 2 * 1024 * 1024;

const accountId = { type: 'string', minLength: 1, maxLength: 63 } as const;
const accountParams = { type: 'object', properties: { account_id: accountId }, required: ['account_id'], additionalProperties: false } as const;
const actorOf = (req: FastifyRequest) => req.principal?.name ?? 'unknown';

export function biometricsRoutes(m: BiometricsModule) {
  return async (app: FastifyInstance): Promise<void> => {
    app.setErrorHandler(async (err: Error & { statusCode?: number; quality?: unknown }, req, reply) => {
      if (isDiskFull(err)) throw err; // the app's handler answers 507 with the reason
      const quality = err.quality;
      if (err instanceof BiometricError) return reply.code(err.statusCode).send({ error: err.message, ...(quality ? { quality } : {}) });
      if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
      req.log.error({ err }, 'biometrics request failed');
      return reply.code(500).send({ error: 'internal error' });
    });
    const admin = { access: ['admin'] } as const;

    app.get('/api/biometrics/consent-text', { config: { access: ['kiosk'] } }, async () => m.consentText());
    // the kiosk offers face pay (and self-enrolment) only when this says available
    app.get('/api/biometrics/status', { config: { access: ['kiosk', 'cashier'] } }, async () => m.status());

    const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: '\\S' }) as const;
    app.get('/api/biometrics/impact-assessment', { config: admin }, async () => ({ latest: m.assessments.latest(), history: m.assessments.all() }));
    app.post<{ Body: ImpactAssessmentInput }>(
      '/api/biometrics/impact-assessment',
      {
        config: admin,
        schema: {
          body: {
            type: 'object',
            properties: {
              assessed_on: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
              assessor: text(120),
              necessity: text(4000),
              risks: text(4000),
              measures: text(4000),
              conclusion: text(2000),
            },
            required: [...ASSESSMENT_FIELDS],
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => {
        if (!isCalendarDate(req.body.assessed_on)) throw new BiometricError(400, `assessed_on: got "${req.body.assessed_on}"; expected a real date YYYY-MM-DD`);
        return reply.code(201).send(m.recordAssessment(req.body, actorOf(req)));
      },
    );

    app.get('/api/biometrics/people', { config: admin }, async () => ({ people: m.people() }));

    app.post<{ Body: { account_id: string; given_by: 'self' | 'guardian'; minor: boolean; guardian_name?: string; guardian_relation?: string; text_version: string } }>(
      '/api/biometrics/consents',
      {
        config: admin,
        schema: {
          body: {
            type: 'object',
            properties: {
              account_id: accountId,
              given_by: { type: 'string', enum: ['self', 'guardian'] },
              minor: { type: 'boolean' },
              guardian_name: { type: 'string', minLength: 1, maxLength: 80 },
              guardian_relation: { type: 'string', minLength: 1, maxLength: 40 },
              text_version: { type: 'string', minLength: 1, maxLength: 40 },
            },
            required: ['account_id', 'given_by', 'minor', 'text_version'],
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => reply.code(201).send(m.recordConsent(req.body, actorOf(req))),
    );

    app.post<{ Body: { account_id: string; images: string[]; replace?: boolean } }>(
      '/api/biometrics/enrolments',
      {
        config: admin,
        bodyLimit: ENROL_BODY_LIMIT,
        schema: {
          body: {
            type: 'object',
            properties: {
              account_id: accountId,
              images: { type: 'array', minItems: 1, maxItems: 5, items: { type: 'string', minLength: 16, pattern: '^[A-Za-z0-9+/=\\s]+$' } },
              replace: { type: 'boolean' },
            },
            required: ['account_id', 'images'],
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => {
        const images = req.body.images.map((b64) => Buffer.from(b64, 'base64'));
        // replace: staff re-enrolment; the old template is retired with its own audit line
        return reply.code(201).send(await m.enrol(req.body.account_id, images, actorOf(req), { replace: req.body.replace === true }));
      },
    );

    app.post<{ Params: { account_id: string } }>('/api/biometrics/people/:account_id/withdraw', { config: admin, schema: { params: accountParams } }, async (req) => {
      m.withdraw(req.params.account_id, actorOf(req));
      return { ok: true, account_id: req.params.account_id, face_pay: 'stopped' };
    });

    app.delete<{ Params: { account_id: string } }>('/api/biometrics/people/:account_id', { config: admin, schema: { params: accountParams } }, async (req) => {
      const r = m.erase(req.params.account_id, actorOf(req));
      return { ok: true, account_id: req.params.account_id, template_deleted: r.template, consents_deleted: r.consents };
    });

    app.get<{ Params: { account_id: string } }>('/api/biometrics/people/:account_id/export', { config: admin, schema: { params: accountParams } }, async (req) =>
      m.exportPerson(req.params.account_id, actorOf(req)),
    );

    app.get<{ Querystring: { account_id?: string; limit?: number } }>(
      '/api/biometrics/audit',
      {
        config: admin,
        schema: { querystring: { type: 'object', properties: { account_id: accountId, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } }, additionalProperties: false } },
      },
      async (req) => ({ audit: m.vault.auditLog(req.query.limit ?? 200, req.query.account_id) }),
    );
  };
}
