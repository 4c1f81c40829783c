// Fault 4 of issue 12: one gateway per data directory. A second `start` on the same
// directory is refused with one clear line before it opens or writes anything (it
// used to delete the running gateway's pid file, which let `restore --force` swap
// the directory under it); restore checks the lock, not a pid file; the lock does
// not outlive a kill -9.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.ts';
import { simulatorConfig, startGateway } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';

describe('the data directory lock', () => {
  it('refuses a second start and a restore while a gateway runs, and is free again after kill -9', async () => {
    const config = { ...(await simulatorConfig()), payments: { accounts: [{ id: 'a1', person: '李四', card_id: 'card-1', opening_balance_fen: 1000 }] } };
    const gw = await startGateway({ config });
    const env = { CANTEEN_EDGE_DATA_DIR: gw.dataDir };
    try {
      const pidFile = path.join(gw.dataDir, 'gateway.pid');
      await expect.poll(() => existsSync(pidFile) && JSON.parse(readFileSync(pidFile, 'utf8')).port, { timeout: 10_000 }).toBe(gw.port);
      const dbBefore = statSync(path.join(gw.dataDir, 'canteen-edge.db')).ino;

      const second = cli(['start', '--config', gw.configFile], { ...env, CANTEEN_EDGE_PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      const lines = second.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^canteen-edge start: the data directory .* is in use by a running gateway \\(pid ${gw.child.pid}, port ${gw.port}\\); refusing`));
      // the first keeps its pid file, its database and its service
      expect(JSON.parse(readFileSync(pidFile, 'utf8'))).toMatchObject({ pid: gw.child.pid, port: gw.port });
      expect(statSync(path.join(gw.dataDir, 'canteen-edge.db')).ino).toBe(dbBefore);
      expect((await fetch(`${gw.url}/healthz`)).ok).toBe(true);

      // backup works on a running gateway (online copy) and says so; restore --force is refused
      const archive = path.join(path.dirname(gw.dataDir), 'box.tar.gz');
      const backup = cli(['backup', '--out', archive, '--config', gw.configFile], env);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.json()).toMatchObject({ ok: true, gatewayRunning: true });
      expect(backup.json().files.map((f: { path: string }) => f.path)).not.toContain('data/gateway.lock');
      const restore = cli(['restore', '--from', archive, '--force', '--config', gw.configFile], env);
      expect(restore.code).toBe(1);
      expect(restore.json().error).toMatch(/in use by a running gateway .*stop it first/);
      expect(existsSync(`${gw.dataDir}.bak`)).toBe(false);
      const admin = await gw.loginAs('admin');
      const topUp = await fetch(`${gw.url}/api/payments/topups`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ key: 'after-restore-attempt', account_id: 'a1', amount_fen: 300 }) });
      expect(topUp.status).toBe(200);
      expect(statSync(path.join(gw.dataDir, 'canteen-edge.db')).ino).toBe(dbBefore);

      // kill -9: the kernel drops the lock with the process; a new start on the same directory works
      expect((await gw.stop('SIGKILL')).signal).toBe('SIGKILL');
      const again = await startGateway({ config, env });
      try {
        expect((await fetch(`${again.url}/healthz`)).ok).toBe(true);
        const accounts = (await (await fetch(`${again.url}/api/payments/accounts`, { headers: (await again.loginAs('admin')).headers })).json()) as { id: string; balance_fen: number }[];
        expect(accounts.find((a) => a.id === 'a1')?.balance_fen).toBe(1300);
      } finally {
        await again.stop();
      }
      // stopped cleanly: restore is allowed again (the lock, not a stale pid file, decides)
      const restored = cli(['restore', '--from', archive, '--force', '--config', gw.configFile], env);
      expect(restored.code, restored.stderr).toBe(0);
    } finally {
      await gw.stop('SIGKILL');
    }
  }, 120_000);
});
