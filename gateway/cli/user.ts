// `canteen-edge user add|passwd|list|remove` and `canteen-edge kiosk pair|list|unpair`:
// accounts and kiosk pairings in the data directory's database, also while the
// gateway runs. Passwords never come from the command line (where `ps` shows them):
// a hidden prompt on a terminal, or --password-stdin, or --generate.
import { rmSync } from 'node:fs';
import os from 'node:os';
import { initialAdminFile } from '../auth/auth.ts';
import { kioskTargets } from '../auth/config.ts';
import { randomPassword } from '../auth/passwords.ts';
import { STAFF_ROLES } from '../auth/roles.ts';
import { AuthError, AuthStore } from '../auth/store.ts';
import { ConfigError, configFileFrom, loadConfig, type LoadedConfig } from '../config/load.ts';
import { openDatabase } from '../store/sqlite.ts';
import { localParts } from '../site-time.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, intFlag, printJson, type Command, type Options } from './command.ts';
import { pairingLine } from './pairing-words.ts';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const actor = () => `cli:${safeUser()}`;
function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

/** Opens the config's database with the auth store; maps the errors to exit codes. */
async function withStore(values: Values, fn: (store: AuthStore, config: LoadedConfig) => Promise<number>): Promise<number> {
  const file = configFileFrom(values.config as string | undefined);
  let config: LoadedConfig;
  try {
    config = loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const i of err.issues) process.stderr.write(`config error: ${file}: ${i.path || '(top level)'}: ${i.message}\n`);
    return EXIT_USAGE;
  }
  const db = openDatabase(config.paths.data_dir);
  try {
    return await fn(new AuthStore(db), config);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    process.stderr.write(`canteen-edge: ${err.message}\n`);
    return err.statusCode === 400 ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    db.close();
  }
}

const name = (values: Values): string => {
  const n = values.name;
  if (typeof n !== 'string' || !n) throw new UsageError('--name USERNAME is required');
  return n.trim().toLowerCase();
};

/** The new password: --generate (printed once), --password-stdin, or typed twice at a hidden prompt. */
async function newPassword(values: Values, username: string): Promise<{ password: string; generated: boolean }> {
  if (values.generate && values['password-stdin']) throw new UsageError('give --generate or --password-stdin, not both');
  if (values.generate) return { password: randomPassword(username), generated: true };
  if (values['password-stdin']) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return { password: Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, ''), generated: false };
  }
  if (!process.stdin.isTTY) throw new UsageError('no terminal to ask for the password: give --password-stdin or --generate');
  const first = await hiddenPrompt('new password: ');
  const again = await hiddenPrompt('again: ');
  if (first !== again) throw new UsageError('the two passwords differ');
  return { password: first, generated: false };
}

function hiddenPrompt(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let text = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

const config = { config: { type: 'string' } } satisfies Options;
const passwordFlags = { 'password-stdin': { type: 'boolean' }, generate: { type: 'boolean' } } satisfies Options;

export const userAdd: Command = {
  words: ['user', 'add'],
  summary: 'create a staff account',
  usage: `canteen-edge user add --name USERNAME --role ROLE [--password-stdin | --generate] [--config FILE]\n  ROLE: ${STAFF_ROLES.join(', ')}; without a flag the password is asked twice on the terminal.\n  --generate prints a random password once. Diner kiosks have no account: see \`canteen-edge kiosk pair\`.`,
  options: { ...config, ...passwordFlags, name: { type: 'string' }, role: { type: 'string' } },
  async run(values) {
    const username = name(values);
    const role = values.role;
    if (typeof role !== 'string') throw new UsageError(`--role is required: one of ${STAFF_ROLES.join(', ')}`);
    return withStore(values, async (store) => {
      const { password, generated } = await newPassword(values, username);
      const account = await store.addAccount(username, role, password);
      store.audit({ actor: actor(), role: null, action: 'user add', detail: { username, role }, result: 'ok' });
      printJson({ ok: true, username: account.username, role: account.role, ...(generated ? { password } : {}) });
      return EXIT_OK;
    });
  },
};

export const userPasswd: Command = {
  words: ['user', 'passwd'],
  summary: 'set an account\'s password (ends its sessions)',
  usage: 'canteen-edge user passwd --name USERNAME [--password-stdin | --generate] [--config FILE]\n  signs the account out everywhere; setting admin\'s password deletes the first start\'s password file',
  options: { ...config, ...passwordFlags, name: { type: 'string' } },
  async run(values) {
    const username = name(values);
    return withStore(values, async (store, cfg) => {
      if (!store.account(username)) throw new AuthError(404, `no account "${username}"`);
      const { password, generated } = await newPassword(values, username);
      await store.setPassword(username, password);
      if (username === 'admin') rmSync(initialAdminFile(cfg.paths.data_dir), { force: true });
      store.audit({ actor: actor(), action: 'user passwd', detail: { username }, result: 'ok' });
      printJson({ ok: true, username, ...(generated ? { password } : {}) });
      return EXIT_OK;
    });
  },
};

export const userList: Command = {
  words: ['user', 'list'],
  summary: 'list the staff accounts',
  usage: 'canteen-edge user list [--config FILE]\n  prints [{"username", "role", "createdAt", "passwordChangedAt"}] (times as ISO 8601)',
  options: { ...config },
  async run(values) {
    return withStore(values, async (store) => {
      printJson(store.accounts().map((a) => ({ username: a.username, role: a.role, createdAt: new Date(a.createdAt).toISOString(), passwordChangedAt: new Date(a.passwordChangedAt).toISOString() })));
      return EXIT_OK;
    });
  },
};

export const userRemove: Command = {
  words: ['user', 'remove'],
  summary: 'remove a staff account (ends its sessions)',
  usage: 'canteen-edge user remove --name USERNAME [--config FILE]',
  options: { ...config, name: { type: 'string' } },
  async run(values) {
    const username = name(values);
    return withStore(values, async (store, cfg) => {
      const account = store.account(username);
      if (!account) throw new AuthError(404, `no account "${username}"`);
      if (account.role === 'admin' && store.accounts().filter((a) => a.role === 'admin').length === 1) {
        throw new AuthError(409, `"${username}" is the last admin account; add another admin first`);
      }
      store.removeAccount(username);
      if (username === 'admin') rmSync(initialAdminFile(cfg.paths.data_dir), { force: true });
      store.audit({ actor: actor(), action: 'user remove', detail: { username }, result: 'ok' });
      printJson({ ok: true, username });
      return EXIT_OK;
    });
  },
};

export const kioskPair: Command = {
  words: ['kiosk', 'pair'],
  summary: 'make a one-time code that pairs a kiosk screen with a station',
  usage: 'canteen-edge kiosk pair --station ID [--minutes N] [--config FILE]\n  prints {"code", "station", "scale", "expiresAt", "expires_local" (site time), "timezone"}; open /login on the kiosk and enter the code once.\n  ID: a canteen station, or a scale no station uses. The code is valid --minutes (default auth.pairing_minutes), once.',
  options: { ...config, station: { type: 'string' }, minutes: { type: 'string' } },
  async run(values) {
    const station = values.station;
    if (typeof station !== 'string' || !station) throw new UsageError('--station ID is required');
    const minutes = intFlag(values, 'minutes', undefined, 1, 1440);
    return withStore(values, async (store, cfg) => {
      const targets = kioskTargets(cfg);
      const scale = targets.get(station);
      if (!scale) throw new AuthError(404, `no station "${station}" in ${cfg.file} (stations: ${[...targets.keys()].join(', ') || 'none configured'})`);
      const { code, expiresAt } = store.createPairingCode(station, scale, (minutes ?? cfg.auth.pairing_minutes) * 60_000, actor());
      store.audit({ actor: actor(), action: 'kiosk code', detail: { station }, result: 'ok' });
      const local = localParts(expiresAt, cfg.site.timezone);
      printJson({ code, station, scale, expiresAt: new Date(expiresAt).toISOString(), expires_local: `${local.date} ${local.hhmm}`, timezone: cfg.site.timezone });
      process.stderr.write(pairingLine(code, expiresAt, cfg.site.timezone));
      return EXIT_OK;
    });
  },
};

export const kioskList: Command = {
  words: ['kiosk', 'list'],
  summary: 'list the paired kiosks',
  usage: 'canteen-edge kiosk list [--config FILE]\n  prints [{"station", "scale", "createdAt", "expiresAt", "client"}]',
  options: { ...config },
  async run(values) {
    return withStore(values, async (store) => {
      printJson(store.kiosks().map((k) => ({ ...k, createdAt: new Date(k.createdAt).toISOString(), expiresAt: new Date(k.expiresAt).toISOString() })));
      return EXIT_OK;
    });
  },
};

export const kioskUnpair: Command = {
  words: ['kiosk', 'unpair'],
  summary: 'unpair every kiosk of a station',
  usage: 'canteen-edge kiosk unpair --station ID [--config FILE]\n  the kiosks need a new pairing code; their open pages are disconnected within seconds',
  options: { ...config, station: { type: 'string' } },
  async run(values) {
    const station = values.station;
    if (typeof station !== 'string' || !station) throw new UsageError('--station ID is required');
    return withStore(values, async (store) => {
      const n = store.unpair(station);
      store.audit({ actor: actor(), action: 'kiosk unpair', detail: { station }, result: 'ok' });
      printJson({ ok: true, station, unpaired: n });
      return EXIT_OK;
    });
  },
};

export const USER_COMMANDS: Command[] = [userAdd, userPasswd, userList, userRemove, kioskPair, kioskList, kioskUnpair];
