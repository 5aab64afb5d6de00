/**
 * Helpers for the admin-area tests: the REAL app (createApp) on a free port
 * with a fresh data directory, staff users created straight in its store,
 * and a tiny cookie-keeping HTTP client that does not follow redirects (so
 * tests see the 302/303 and the Set-Cookie headers themselves).
 */
import { hashPassword } from '../../admin/passwords.js';
import type { WhatsappControl } from '../../admin/whatsapp.js';
import type { Role, User } from '../../bot/store/types.js';
import { createApp, type App } from '../../scripts/app.js';
import { loadConfig } from '../../scripts/config.js';
import { makeTempDir } from './tmp.js';

export interface AdminTestApp {
  app: App;
  base: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startAdminApp(
  env: Record<string, string> = {},
  options: { whatsappControl?: WhatsappControl; outbox?: { retry?(messageId: string): Promise<unknown> }; dataDir?: string } = {},
): Promise<AdminTestApp> {
  const tmp = options.dataDir ? { dir: options.dataDir, remove() {} } : makeTempDir('siratu-admin-');
  const config = loadConfig({ HOST: '127.0.0.1', DATA_DIR: tmp.dir, LOG_LEVEL: 'silent', PORT: '0', ...env }, { dotenvPath: '/nonexistent' });
  const app = await createApp(config, { whatsappControl: options.whatsappControl, outbox: options.outbox });
  const port = await app.listen();
  return {
    app,
    base: `http://127.0.0.1:${port}`,
    dataDir: tmp.dir,
    async close() {
      await app.close();
      tmp.remove();
    },
  };
}

/** Hashing costs ~200 ms (scrypt N=2^16): tests share one hash per password. */
const hashes = new Map<string, Promise<string>>();

export async function createUser(app: App, user: { username: string; password: string; role: Role; displayName?: string }): Promise<User> {
  if (!hashes.has(user.password)) hashes.set(user.password, hashPassword(user.password));
  return app.store.users.create({
    username: user.username,
    displayName: user.displayName ?? user.username.replace(/^./u, (c) => c.toUpperCase()),
    role: user.role,
    passwordHash: await hashes.get(user.password)!,
  });
}

export interface CookieInfo {
  value: string;
  attributes: string[];
}

let clients = 0;

/** A browser without a browser: keeps cookies, never follows redirects. */
export class Client {
  readonly cookies = new Map<string, CookieInfo>();
  /** The raw Set-Cookie headers of the last response. */
  lastSetCookie: string[] = [];

  /**
   * Each client looks like its own address (X-Forwarded-For, trusted from
   * loopback), so per-IP login throttling in one test does not leak into others.
   */
  constructor(
    readonly base: string,
    readonly ip = `198.51.${Math.floor(clients / 250) % 250}.${(clients++ % 250) + 1}`,
  ) {}

  private remember(response: Response) {
    this.lastSetCookie = response.headers.getSetCookie();
    for (const header of this.lastSetCookie) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (attributes.some((a) => /^max-age=0$/iu.test(a)) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes });
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, cookie]) => `${name}=${cookie.value}`).join('; ');
  }

  async request(method: string, path: string, options: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.ip, ...options.headers };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, body, redirect: 'manual' });
    this.remember(response);
    return response;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  post(path: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.request('POST', path, { form, headers });
  }

  /** The `_csrf` hidden field of a page. */
  static csrfOf(html: string): string {
    const match = /name="_csrf" value="([^"]+)"/u.exec(html);
    if (!match) throw new Error('no _csrf field on the page');
    return match[1]!;
  }

  /** Opens the login page and submits the form. Returns the POST's response (303 on success). */
  async login(username: string, password: string, next?: string): Promise<Response> {
    const page = await this.get(`/admin/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    const csrf = Client.csrfOf(await page.text());
    return this.post('/admin/login', { _csrf: csrf, username, password, ...(next ? { next } : {}) });
  }

  /** The session's CSRF token (from /admin/api/me). */
  async csrf(): Promise<string> {
    const response = await this.get('/admin/api/me');
    if (response.status !== 200) throw new Error(`not signed in (${response.status})`);
    return ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  /** POST with the session's CSRF token added. */
  async postWithCsrf(path: string, form: Record<string, string> = {}, headers?: Record<string, string>): Promise<Response> {
    return this.post(path, { ...form, _csrf: await this.csrf() }, headers);
  }
}

/** Polls until `ok` holds or the time is up; returns the last value. */
export async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
