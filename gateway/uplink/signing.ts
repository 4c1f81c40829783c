// The HTTP uplink's request signature, shared by the sender and the simulator
// that verifies it: HMAC-SHA256 over `<timestamp>.<body bytes as sent>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-canteen-signature';
export const TIMESTAMP_HEADER = 'x-canteen-timestamp';

export function sign(key: string, timestamp: string, body: Buffer): string {
  return createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex');
}

export function verify(key: string, timestamp: string, body: Buffer, signature: string): boolean {
  const want = Buffer.from(sign(key, timestamp, body), 'hex');
  const got = Buffer.from(signature, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
