/** A random idempotency key; crypto.randomUUID needs a secure context, getRandomValues does not (a kiosk on http://192.168.x.x). */
export function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
