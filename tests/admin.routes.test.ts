/**
 * Every route under /admin is protected, found by walking the routers that
 * express actually has (not a hand-kept list): a route added tomorrow by
 * anyone is checked here without touching this file, and fails it unless
 * it carries an access marker (admin/access.ts).
 *
 * For each route: an anonymous request gets 401 (JSON) or a redirect to the
 * login page; each role below the route's minimum gets 403; the roles
 * allowed get through (GET routes). Only the explicit allow-list below may
 * be public.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express, { Router } from 'express';
import type { Role } from '../bot/store/types.js';
import { Client, createUser, startAdminApp, type AdminTestApp } from './helpers/admin.js';
import { walk, type FoundRoute, type RawLayer } from './helpers/routes.js';

/** The only routes anyone may call without signing in. Adding one here is a security decision. */
const PUBLIC = ['GET /admin/login', 'POST /admin/login', 'GET /admin/assets/:file'];
const PASSWORD = 'rute rute dijaga ketat';

let server: AdminTestApp;
let routes: FoundRoute[];
let stray: string[];
const clients: Partial<Record<Role, Client>> = {};

beforeAll(async () => {
  server = await startAdminApp({}, { whatsappControl: { requestPairingCode: async () => {}, logout: async () => {} }, outbox: { retry: async () => {} } });
  const all: FoundRoute[] = [];
  stray = [];
  walk((server.app.http as unknown as { router: { stack: RawLayer[] } }).router.stack, '', all, stray);
  routes = all.filter((route) => route.path === '/admin' || route.path.startsWith('/admin/'));
  stray = stray.filter((path) => path.startsWith('/admin'));
  for (const role of ['agent', 'supervisor', 'admin'] as const) {
    await createUser(server.app, { username: `rute-${role}`, password: PASSWORD, role });
    const client = new Client(server.base);
    expect((await client.login(`rute-${role}`, PASSWORD)).status).toBe(303);
    clients[role] = client;
  }
});

afterAll(async () => {
  await server?.close();
});

/** A concrete URL for a route pattern (parameters filled with a dummy value). */
const concrete = (path: string) => path.replace(/\{[^}]*\}/gu, '').replace(/[:*][A-Za-z0-9_]+/gu, 'x0');
const key = (route: FoundRoute) => `${route.method} ${route.path}`;

describe('the admin router, as express has it', () => {
  it('has routes, and every one carries exactly one access marker', () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const unmarked = routes.filter((route) => route.markers.length !== 1).map(key);
    expect(unmarked).toEqual([]);
  });

  it('has no middleware mounted on a sub-path outside a router the walk can see', () => {
    expect(stray).toEqual([]);
  });

  it('public routes are exactly the allow-list', () => {
    const open = routes.filter((route) => route.markers[0]?.publicRoute).map(key).sort();
    expect(open).toEqual([...PUBLIC].sort());
  });

  it('every other route answers an anonymous request with 401 (JSON) or a redirect to the login page', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => !PUBLIC.includes(key(r)))) {
      for (const accept of ['text/html', 'application/json']) {
        const response = await fetch(`${server.base}${concrete(route.path)}`, {
          method: route.method,
          headers: { accept, 'content-type': 'application/x-www-form-urlencoded' },
          body: route.method === 'GET' || route.method === 'HEAD' ? undefined : '',
          redirect: 'manual',
        });
        const location = response.headers.get('location') ?? '';
        const ok = response.status === 401 || ([302, 303].includes(response.status) && location.startsWith('/admin/login'));
        if (!ok) failures.push(`${key(route)} [${accept}] → ${response.status} ${location}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('roles below a route\'s minimum get 403; the roles allowed get through', async () => {
    const ranks: Role[] = ['agent', 'supervisor', 'admin'];
    const failures: string[] = [];
    const checked = { denied: 0, allowed: 0 };
    for (const route of routes) {
      const minimum = route.markers[0]?.requiredRole;
      if (!minimum) continue;
      for (const role of ranks) {
        const client = clients[role]!;
        const allowed = ranks.indexOf(role) >= ranks.indexOf(minimum);
        // Signing out would end the session the rest of this test uses.
        if (allowed && (route.method !== 'GET' || route.path === '/admin/logout')) continue;
        const response =
          route.method === 'GET'
            ? await client.get(concrete(route.path), { accept: 'application/json' })
            : await client.request(route.method, concrete(route.path), { form: { _csrf: await client.csrf() }, headers: { accept: 'application/json' } });
        if (allowed) {
          checked.allowed++;
          if ([401, 403].includes(response.status) || response.status >= 500) failures.push(`${key(route)} as ${role} → ${response.status} (should be allowed)`);
        } else {
          checked.denied++;
          const body = (await response.json().catch(() => ({}))) as { error?: string };
          if (response.status !== 403 || body.error !== 'forbidden') failures.push(`${key(route)} as ${role} → ${response.status} ${body.error} (should be 403 forbidden)`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked.denied).toBeGreaterThanOrEqual(15);
    expect(checked.allowed).toBeGreaterThanOrEqual(10);
  });

  it('admin-only and supervisor routes are the ones expected (a sample, so a wrong minimum is caught)', () => {
    const minimum = (method: string, path: string) => routes.find((route) => route.method === method && route.path === path)?.markers[0]?.requiredRole;
    expect(minimum('GET', '/admin/users')).toBe('admin');
    expect(minimum('POST', '/admin/users')).toBe('admin');
    expect(minimum('GET', '/admin/whatsapp')).toBe('admin');
    expect(minimum('POST', '/admin/whatsapp/logout')).toBe('admin');
    expect(minimum('GET', '/admin/api/whatsapp/status')).toBe('admin');
    expect(minimum('GET', '/admin/deliveries')).toBe('supervisor');
    expect(minimum('GET', '/admin/account')).toBe('agent');
  });

  it('the walk itself sees routes added in sub-routers or straight on the app, and stray mounted middleware', () => {
    const app = express();
    const sub = Router();
    sub.get('/open/:id', (_req, res) => void res.end());
    const nested = Router();
    nested.post('/deep', (_req, res) => void res.end());
    sub.use('/nested', nested);
    sub.use('/files', express.static('/nonexistent'));
    app.use('/admin', sub);
    app.get('/admin/also', (_req, res) => void res.end());
    const found: FoundRoute[] = [];
    const strays: string[] = [];
    walk((app as unknown as { router: { stack: RawLayer[] } }).router.stack, '', found, strays);
    expect(found.map((route) => `${key(route)} ${route.markers.length}`)).toEqual(['GET /admin/open/:id 0', 'POST /admin/nested/deep 0', 'GET /admin/also 0']);
    expect(strays).toEqual(['/admin/files (serveStatic)']);
  });

  it('an unknown path is a redirect to the login page for strangers, 404 for staff', async () => {
    const anonymous = await fetch(`${server.base}/admin/tidak-ada`, { redirect: 'manual' });
    expect(anonymous.status).toBe(302);
    expect((await clients.agent!.get('/admin/tidak-ada')).status).toBe(404);
  });
});
