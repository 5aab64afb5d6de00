/**
 * The admin area's building blocks on their own: password hashing and
 * policy, the secret key and encryption at rest, session expiry, login
 * throttling counters, WhatsApp helpers, redirect targets, the templates'
 * escaping rule and the new configuration variables.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { safeNext } from '../admin/access.js';
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from '../admin/passwords.js';
import { viewsDir } from '../admin/render.js';
import { parseSecretKey, resolveSecretKey, SecretBox } from '../admin/secret-key.js';
import { hashToken, PENDING_TOTP_MS, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, Sessions } from '../admin/sessions.js';
import { FailureCounter } from '../admin/throttle.js';
import { formatMe, formatPairingCode, pairingPhone } from '../admin/whatsapp.js';
import { createLogger } from '../bot/log.js';
import { openStore } from '../bot/store/index.js';
import type { Store, User } from '../bot/store/types.js';
import { ConfigError, loadConfig } from '../scripts/config.js';
import { makeTempDir } from './helpers/tmp.js';

const silent = createLogger({ level: 'silent' });

describe('passwords', () => {
  it('hashes to scrypt$N$r$p$salt$hash with a fresh salt, and verifies', async () => {
    const a = await hashPassword('kopi pagi di kantor');
    const b = await hashPassword('kopi pagi di kantor');
    expect(a).toMatch(/^scrypt\$65536\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/u);
    expect(a).not.toBe(b);
    expect(await verifyPassword('kopi pagi di kantor', a)).toBe(true);
    expect(await verifyPassword('kopi pagi di kantoR', a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('reads older, weaker hashes (and says to rehash them); refuses malformed or absurd parameters quickly', async () => {
    const salt = randomBytes(16);
    const old = `scrypt$16384$8$1$${salt.toString('base64')}$${scryptSync('sandi lama sekali', salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64')}`;
    expect(await verifyPassword('sandi lama sekali', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    const started = Date.now();
    for (const bad of ['', 'plain', 'scrypt$1048577$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==', `scrypt$${2 ** 30}$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==`, 'scrypt$65536$8$1$$', 'bcrypt$2b$10$abc']) {
      expect(await verifyPassword('x', bad)).toBe(false);
    }
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('policy: at least 10 characters, not a well-known choice, not the user name', () => {
    expect(passwordProblem('pendek')).toMatch(/paling sedikit 10/u);
    expect(passwordProblem('1234567890')).toMatch(/umum|urutan/u);
    expect(passwordProblem('aaaaaaaaaaaa')).toMatch(/diulang/u);
    expect(passwordProblem('budisantoso', { username: 'budisantoso' })).toMatch(/nama pengguna/u);
    expect(passwordProblem('budisantoso1', { username: 'budisantoso' })).toMatch(/nama pengguna/u);
    expect(passwordProblem('Budi Santoso', { displayName: 'Budi Santoso' })).toMatch(/nama Anda/u);
    expect(passwordProblem('kopi pagi di kantor', { username: 'budi' })).toBeNull();
  });
});

describe('secret key and encryption at rest', () => {
  const tmp = makeTempDir('siratu-key-');
  afterAll(() => tmp.remove());

  it('parses 64 hex characters or base64 of 32 bytes, nothing else', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64url'))).toEqual(key);
    expect(parseSecretKey('geheim')).toBeNull();
    expect(parseSecretKey(randomBytes(16).toString('hex'))).toBeNull();
  });

  it('embedded mode without SECRET_KEY: generates DATA_DIR/secret.key (0600) once, logs it, and reuses it', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const first = resolveSecretKey({ dataDir: tmp.dir, scaleOut: false, log });
    const file = join(tmp.dir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/u);
    expect(lines.join('')).toContain('generated a new secret key');
    lines.length = 0;
    expect(resolveSecretKey({ dataDir: tmp.dir, scaleOut: false, log })).toEqual(first);
    expect(lines).toEqual([]);
    chmodSync(file, 0o644);
    expect(resolveSecretKey({ dataDir: tmp.dir, scaleOut: false, log })).toEqual(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a configured key wins; scale-out without one, or a damaged key file, stops the start', () => {
    const key = randomBytes(32);
    expect(resolveSecretKey({ configured: key.toString('hex'), dataDir: '/nonexistent', scaleOut: true, log: silent })).toEqual(key);
    expect(() => resolveSecretKey({ dataDir: '/nonexistent', scaleOut: true, log: silent })).toThrow(/SECRET_KEY wajib/u);
    expect(() => resolveSecretKey({ configured: 'kurang', dataDir: tmp.dir, scaleOut: false, log: silent })).toThrow(/SECRET_KEY/u);
    const broken = makeTempDir('siratu-key-');
    writeFileSync(join(broken.dir, 'secret.key'), 'rusak\n', { mode: 0o600 });
    expect(() => resolveSecretKey({ dataDir: broken.dir, scaleOut: false, log: silent })).toThrow(/tidak berisi kunci/u);
    broken.remove();
  });

  it('SecretBox: AES-256-GCM bound to its purpose and context; tampering or another key gives null', () => {
    const master = randomBytes(32);
    const box = new SecretBox(master, 'totp');
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'user-1');
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/u);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(box.seal('JBSWY3DPEHPK3PXP', 'user-1')).not.toBe(sealed);
    expect(box.open(sealed, 'user-2')).toBeNull();
    expect(new SecretBox(master, 'other').open(sealed, 'user-1')).toBeNull();
    expect(new SecretBox(randomBytes(32), 'totp').open(sealed, 'user-1')).toBeNull();
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[2]!, 'base64url');
    flipped[0]! ^= 1;
    expect(box.open([parts[0], parts[1], flipped.toString('base64url'), parts[3]].join('.'), 'user-1')).toBeNull();
    expect(box.open('v1.x.y', 'user-1')).toBeNull();
  });
});

describe('session expiry', () => {
  const tmp = makeTempDir('siratu-sessions-');
  let store: Store;
  let user: User;
  let sessions: Sessions;

  beforeAll(async () => {
    store = await openStore({ dataDir: tmp.dir });
    user = await store.users.create({ username: 'waktu', displayName: 'Waktu', role: 'agent', passwordHash: 'scrypt$x' });
    sessions = new Sessions(store, { cookieSecure: 'auto', path: '/admin' });
  });
  afterAll(async () => {
    await store.close();
    tmp.remove();
  });

  /** Starts a session at `at`; returns a request carrying its cookie. */
  async function start(at: Date, pendingTotp = false): Promise<Request> {
    let cookie = '';
    const res = { append: (_name: string, value: string) => void (cookie = value.split(';')[0]!) } as unknown as Response;
    await sessions.start({ headers: {}, secure: false } as Request, res, user, { pendingTotp, now: at });
    return { headers: { cookie } } as Request;
  }

  it('slides: 8 hours idle ends it, activity keeps it alive', async () => {
    const t0 = new Date('2026-11-23T01:00:00Z');
    const req = await start(t0);
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(await sessions.read(req, at(SESSION_IDLE_MS - 60_000))).not.toBeNull();
    // Touched at 7h59: alive until 15h59.
    expect(await sessions.read(req, at(2 * SESSION_IDLE_MS - 120_000))).not.toBeNull();
    expect(await sessions.read(req, at(3 * SESSION_IDLE_MS))).toBeNull();
    // And it is gone from the store, not just refused.
    const token = (req.headers.cookie as string).split('=')[1]!;
    expect(await store.sessions.get(hashToken(token))).toBeNull();
  });

  it('ends after 7 days however active', async () => {
    const t0 = new Date('2026-11-23T01:00:00Z');
    const req = await start(t0);
    let t = t0.getTime();
    while (t + 7 * 60 * 60_000 < t0.getTime() + SESSION_ABSOLUTE_MS) {
      t += 7 * 60 * 60_000;
      expect(await sessions.read(req, new Date(t))).not.toBeNull();
    }
    expect(await sessions.read(req, new Date(t0.getTime() + SESSION_ABSOLUTE_MS + 1000))).toBeNull();
  });

  it('a session waiting for its two-factor code lives 5 minutes', async () => {
    const t0 = new Date('2026-11-23T01:00:00Z');
    const req = await start(t0, true);
    expect((await sessions.read(req, new Date(t0.getTime() + PENDING_TOTP_MS - 1000)))?.session.pendingTotp).toBe(true);
    expect(await sessions.read(req, new Date(t0.getTime() + PENDING_TOTP_MS + 1000))).toBeNull();
  });
});

describe('login throttling counter', () => {
  it('locks a key after max failures within the window, for lockMs; then starts over', () => {
    const counter = new FailureCounter({ max: 3, windowMs: 60_000, lockMs: 120_000 });
    expect(counter.fail('ip', 0)).toBe(0);
    expect(counter.fail('ip', 1000)).toBe(0);
    expect(counter.fail('ip', 2000)).toBe(120_000);
    expect(counter.lockedFor('ip', 62_000)).toBe(60_000);
    expect(counter.lockedFor('other', 62_000)).toBe(0);
    expect(counter.lockedFor('ip', 122_001)).toBe(0);
    expect(counter.fail('ip', 130_000)).toBe(0);
  });

  it('failures outside the window do not add up; memory stays bounded', () => {
    const counter = new FailureCounter({ max: 2, windowMs: 1000, lockMs: 5000, capacity: 100 });
    counter.fail('a', 0);
    expect(counter.fail('a', 5000)).toBe(0);
    for (let i = 0; i < 1000; i++) counter.fail(`k${i}`, 10_000);
    expect((counter as unknown as { entries: Map<string, unknown> }).entries.size).toBe(100);
  });
});

describe('WhatsApp helpers', () => {
  it('normalises Indonesian numbers for pairing', () => {
    expect(pairingPhone('0812-3456-7890')).toBe('6281234567890');
    expect(pairingPhone('+62 812 3456 7890')).toBe('6281234567890');
    expect(pairingPhone('6281234567890')).toBe('6281234567890');
    expect(pairingPhone('12345')).toBeNull();
    expect(pairingPhone(undefined)).toBeNull();
  });

  it('formats the pairing code and the linked number as WhatsApp shows them', () => {
    expect(formatPairingCode('abcd1234')).toBe('ABCD-1234');
    expect(formatMe('6281234567890:12@s.whatsapp.net')).toBe('+62 812-3456-7890');
  });
});

describe('redirect after signing in', () => {
  it('only to a path inside the admin area', () => {
    expect(safeNext('/admin', '/admin/users?x=1')).toBe('/admin/users?x=1');
    for (const bad of ['https://evil.example', '//evil.example', '/admin//evil', '/admin/../x', '/adminx', '/admin\\x', '/admin/login', '/admin/api/me', 5]) {
      expect(safeNext('/admin', bad)).toBe('/admin');
    }
  });
});

describe('templates', () => {
  it('print values only through the escaping tag: raw output is for include() and the layout body alone', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(viewsDir).filter((name) => name.endsWith('.eta'))) {
      const text = readFileSync(join(viewsDir, file), 'utf8');
      for (const match of text.matchAll(/<%~\s*([^%]*?)\s*%>/gu)) {
        if (match[1] !== 'it.body' && !/^include\(/u.test(match[1]!)) offenders.push(`${file}: ${match[0]}`);
      }
      if (/<script(?![^>]*\ssrc=)[^>]*>/u.test(text) || /\sstyle="|\son[a-z]+="/u.test(text)) offenders.push(`${file}: inline script or style`);
    }
    expect(offenders).toEqual([]);
  });
});

describe('configuration', () => {
  const none = { dotenvPath: '/nonexistent' };

  it('defaults: COOKIE_SECURE=auto, ADMIN_REQUIRE_TOTP=false, TRUST_PROXY=loopback, no SECRET_KEY', () => {
    expect(loadConfig({}, none)).toMatchObject({ COOKIE_SECURE: 'auto', ADMIN_REQUIRE_TOTP: false, TRUST_PROXY: 'loopback' });
    expect(loadConfig({}, none).SECRET_KEY).toBeUndefined();
    expect(loadConfig({ ADMIN_REQUIRE_TOTP: 'ya', TRUST_PROXY: '1' }, none)).toMatchObject({ ADMIN_REQUIRE_TOTP: true, TRUST_PROXY: 1 });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }, none).TRUST_PROXY).toBe('10.0.0.0/8, loopback');
  });

  it('bad values stop the start with the variable named; the key itself is never echoed', () => {
    const attempt = (env: Record<string, string>) => {
      try {
        loadConfig(env, none);
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
    };
    expect(attempt({ COOKIE_SECURE: 'kadang' })).toMatch(/COOKIE_SECURE="kadang": isi auto, true atau false/u);
    expect(attempt({ SECRET_KEY: 'rahasia-sekali' })).toMatch(/SECRET_KEY=\(disembunyikan\): harus kunci acak 32 byte/u);
    expect(attempt({ SECRET_KEY: 'rahasia-sekali' })).not.toContain('rahasia-sekali');
    expect(attempt({ MONGODB_URI: 'mongodb://db:27017/siratu' })).toMatch(/SECRET_KEY="": wajib diisi jika MONGODB_URI/u);
    expect(attempt({ MONGODB_URI: 'mongodb://db:27017/siratu', SECRET_KEY: randomBytes(32).toString('hex') })).toBe('');
    expect(attempt({ TRUST_PROXY: 'semua' })).toMatch(/TRUST_PROXY/u);
  });
});
