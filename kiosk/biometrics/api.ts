// The biometrics REST calls from the pages (gateway/biometrics, issue 6).
import { call } from '../checkout/api.ts';

export interface ConsentParts { purpose: string; effect: string; retention: string; withdraw: string; alternative: string }
/** The notice shown before consent (PIPL arts. 17, 30): processor and contact come from the site's config. */
export interface ConsentText { version: string; processor: { name: string | null; contact: string | null }; retention_days: number; zh: ConsentParts; en: ConsentParts }
/** Whether this box offers face pay now, and why not (a stable word). */
export interface FaceStatus { available: boolean; reason: 'switched_off' | 'models_missing' | 'no_impact_assessment' | null }
export interface ImpactAssessmentInput { assessed_on: string; assessor: string; necessity: string; risks: string; measures: string; conclusion: string }
export interface ImpactAssessment extends ImpactAssessmentInput { id: number; recorded_by: string; at: number }

export interface ConsentMsg { given_by: 'self' | 'guardian'; minor: boolean; guardian_name: string | null; text_version: string; at: number }
/** Everyone with a face template or a consent record (withdrawn consent: `consent` null). */
export interface PersonMsg { account_id: string; person: string | null; enrolled_at: number | null; consent: ConsentMsg | null }
export interface AuditLine { at: number; actor: string; action: string; account_id: string | null; detail: string | null }
/** The meal-card accounts (gateway/payments): who can be given face pay. */
export interface AccountMsg { id: string; person: string; status: string }

const person = (id: string) => `/api/biometrics/people/${encodeURIComponent(id)}`;

export const bioApi = {
  consentText: () => call<ConsentText>('GET', '/api/biometrics/consent-text'),
  people: () => call<{ people: PersonMsg[] }>('GET', '/api/biometrics/people'),
  accounts: () => call<AccountMsg[]>('GET', '/api/payments/accounts'),
  status: () => call<FaceStatus>('GET', '/api/biometrics/status'),
  assessment: () => call<{ latest: ImpactAssessment | null; history: ImpactAssessment[] }>('GET', '/api/biometrics/impact-assessment'),
  recordAssessment: (body: ImpactAssessmentInput) => call<ImpactAssessment>('POST', '/api/biometrics/impact-assessment', body),
  recordConsent: (body: { account_id: string; given_by: 'self' | 'guardian'; minor: boolean; guardian_name?: string; guardian_relation?: string; text_version: string }) =>
    call<unknown>('POST', '/api/biometrics/consents', body),
  enrol: (accountId: string, images: string[]) =>
    call<{ account_id: string; images_used: number; quality: unknown[] }>('POST', '/api/biometrics/enrolments', { account_id: accountId, images }),
  withdraw: (id: string) => call<unknown>('POST', `${person(id)}/withdraw`, {}),
  remove: (id: string) => call<unknown>('DELETE', person(id)),
  exportData: (id: string) => call<unknown>('GET', `${person(id)}/export`),
  audit: (accountId?: string, limit = 100) =>
    call<{ audit: AuditLine[] }>('GET', `/api/biometrics/audit?${new URLSearchParams({ ...(accountId ? { account_id: accountId } : {}), limit: String(limit) })}`),
};

/** base64 of a JPEG blob, without the data: prefix (the HTTP enrolment body). */
export async function blobToBase64(blob: Blob): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result as string);
    r.onerror = () => reject(r.error ?? new Error('could not read the image'));
    r.readAsDataURL(blob);
  });
  return url.slice(url.indexOf(',') + 1);
}
