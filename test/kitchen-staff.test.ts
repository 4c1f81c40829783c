// Staff standing on the real gateway (issue 15): nobody without a valid health certificate
// is checked in (Food Safety Law art. 45); the 晨检缺失 alert closes itself when the check is
// recorded; a failed check keeps the person off duty until a supervisor clears them (only a
// supervisor may). Across-day behaviour, which needs a clock, is in kitchen-records.test.ts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway, type TestRole } from './helpers/gateway.ts';

const ALL_CLEAR = { fever: false, diarrhoea: false, vomiting: false, sore_throat: false, hand_wound: false, jaundice: false, uniform: true, cap: true, mask: true, no_jewellery: true };
const siteDay = (offsetDays: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + offsetDays * 86_400_000));

let gw: RunningGateway;
const call = async (role: TestRole, method: string, url: string, body?: unknown) => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...(await gw.loginAs(role)).headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
};
const alerts = async (type: string) => (await call('kitchen', 'GET', `/api/kitchen/alerts?type=${type}`)).body.alerts as { state: string; message: string; details: Record<string, unknown> | null }[];

beforeAll(async () => {
  gw = await startGateway({
    config: {
      ...(await simulatorConfig()),
      food_safety: {
        morning_check: {
          due_by: '00:00', // overdue at once: the missing-check alerts are raised at start
          staff: [
            { id: 'wang', name: '王师傅', health_certificate: { number: 'JKZ-1', expires: siteDay(200) } },
            { id: 'li', name: '李阿姨', health_certificate: { number: 'JKZ-2', expires: siteDay(-1) } },
            { id: 'zhao', name: '赵师傅' },
            { id: 'sun', name: '孙师傅', health_certificate: { number: 'JKZ-4', expires: siteDay(200) } },
          ],
        },
      },
    },
  });
}, 60_000);
afterAll(() => gw?.stop());

it('checks in nobody with a missing or expired health certificate, with the reason', async () => {
  const expired = await call('kitchen', 'POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.5, answers: ALL_CLEAR });
  expect(expired.status).toBe(409);
  expect(expired.body.error).toContain(`JKZ-2 expired on ${siteDay(-1)}`);
  const none = await call('kitchen', 'POST', '/api/kitchen/checks', { staffId: 'zhao', temperatureC: 36.5, answers: ALL_CLEAR });
  expect(none.status).toBe(409);
  expect(none.body.error).toContain('no health certificate');
  const invalid = await alerts('health_certificate_invalid');
  expect(invalid.map((a) => a.details?.name).sort()).toEqual(['李阿姨', '赵师傅']);
}, 60_000);

it('closes the 晨检缺失 alert when the check is recorded', async () => {
  await expect.poll(async () => (await alerts('morning_check_missing')).length, { timeout: 20_000 }).toBe(4);
  expect((await call('kitchen', 'POST', '/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.5, answers: ALL_CLEAR })).status).toBe(201);
  const wang = (await alerts('morning_check_missing')).find((a) => a.details?.name === '王师傅')!;
  expect(wang.state).toBe('resolved');
  expect((await alerts('morning_check_missing')).filter((a) => a.state !== 'resolved')).toHaveLength(3);
});

it('keeps a failed person off duty until a supervisor clears them', async () => {
  const failed = await call('kitchen', 'POST', '/api/kitchen/checks', { staffId: 'sun', temperatureC: 36.5, answers: { ...ALL_CLEAR, sore_throat: true } });
  expect(failed.body.passed).toBe(false);
  const status = async () => ((await call('kitchen', 'GET', '/api/kitchen/records/today')).body.staff as { id: string; status: string }[]).find((s) => s.id === 'sun')!.status;
  expect(await status()).toBe('failed');
  for (const role of ['kitchen', 'cashier', 'facility'] as const) expect((await call(role, 'POST', '/api/kitchen/staff/sun/clear', { note: '已痊愈' })).status).toBe(403);
  expect((await call('supervisor', 'POST', '/api/kitchen/staff/sun/clear', {})).status).toBe(400);
  const cleared = await call('supervisor', 'POST', '/api/kitchen/staff/sun/clear', { note: '咽痛已愈，医院证明存档' });
  expect(cleared).toMatchObject({ status: 201, body: { staffId: 'sun', checkId: failed.body.id, clearedBy: 'test-supervisor' } });
  expect(await status()).toBe('cleared');
  expect((await call('supervisor', 'POST', '/api/kitchen/staff/sun/clear', { note: 'again' })).status).toBe(409);
}, 120_000); // signs in four identities with the real CLI
