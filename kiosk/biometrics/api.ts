// The biometrics REST calls from the pages (gateway/biometrics, issue 6).
import { call } from '../checkout/api.ts';

export interface ConsentParts { purpose: string; retention: string; alternative: string }
export interface ConsentText { version: string; zh: ConsentParts; en: ConsentParts }

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
  recordConsent: (body: { account_id: string; given_by: 'self' | 'guardian'; minor: boolean; guardian_name?: string; text_version: string }) =>
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
