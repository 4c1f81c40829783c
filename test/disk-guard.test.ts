// The disk guard's states on their own (the real gateway on a real full disk is
// test/disk-full.test.ts): which errors mean "full", and when it lets writes resume.
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DiskGuard, RESUME_FREE_BYTES, isDiskFull, type DiskState } from '../gateway/ops/disk-guard.ts';

const MB = 1024 * 1024;

it('knows a full disk by its codes, also wrapped as a cause', () => {
  expect(isDiskFull(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(true);
  expect(isDiskFull(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBe(true);
  expect(isDiskFull(Object.assign(new Error('quota'), { code: 'EDQUOT' }))).toBe(true);
  expect(isDiskFull(new Error('write failed', { cause: Object.assign(new Error('x'), { code: 'ENOSPC' }) }))).toBe(true);
  expect(isDiskFull(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(false);
  expect(isDiskFull(new Error('plain'))).toBe(false);
  expect(isDiskFull(undefined)).toBe(false);
});

it('is low below the threshold, full after a refused write, and ready again only once a probe write works', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-guard-'));
  let free = 10 * MB;
  const guard = new DiskGuard(dir, { lowFreeBytes: 3 * MB, freeBytes: () => free });
  const changes: DiskState[] = [];
  guard.on('change', (s) => changes.push(s));

  expect(guard.check()).toBe('ok');
  free = 2 * MB;
  expect(guard.check()).toBe('low');
  expect(guard.alarms()[0]).toMatch(/^磁盘空间不足 — disk low: 2\.0 MB free/);
  expect(guard.notReady()).toEqual([]);

  expect(guard.failed(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(false);
  expect(guard.state).toBe('low');
  free = 0;
  expect(guard.failed(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(true);
  expect(guard.state).toBe('full');
  expect(guard.notReady()[0]).toMatch(/^disk full: writes to the data directory fail \(SQLITE_FULL\)/);

  // a little space back is not enough to resume
  free = RESUME_FREE_BYTES - 1;
  expect(guard.check()).toBe('full');
  free = 2 * MB;
  expect(guard.check()).toBe('low');
  expect(readdirSync(dir)).toEqual([]); // the probe file is gone
  expect(changes).toEqual(['low', 'full', 'low']);
});
