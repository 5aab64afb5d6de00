/**
 * Server-rendered pages with Eta templates (admin/views/*.eta).
 *
 * Escaping is on by construction: `<%= value %>` always HTML-escapes
 * (autoEscape). The raw form `<%~ … %>` is only for `include(...)` and the
 * layout's `it.body`; tests/admin.views.test.ts fails on any other use.
 * Pages carry no inline script or style: the CSP forbids both, and each
 * page's small script is a file under admin/public/.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, RequestHandler, Response } from 'express';
import { Eta } from 'eta';
import type { Role } from '../bot/store/types.js';
import { authOf } from './access.js';
import { hasRole, ROLE_LABELS } from './roles.js';

const here = dirname(fileURLToPath(import.meta.url));
export const viewsDir = join(here, 'views');
export const publicDir = join(here, 'public');

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  body: Buffer;
  type: string;
  version: string;
}

/**
 * Browser libraries served from node_modules under a plain asset name, so
 * the strict CSP (scripts from this site only) needs no CDN and the repo
 * keeps no copy: the version is the one package-lock.json pins.
 */
const VENDOR: Record<string, () => string> = {
  // chart.js exports only its module entry points; the UMD build sits next to the CommonJS one.
  'chart.umd.js': () => join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js'),
};

/** The files under admin/public (and VENDOR), read once; served with a content hash in the URL so they can be cached for long. */
export function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const files: [string, string][] = [
    ...readdirSync(publicDir).map((name): [string, string] => [name, join(publicDir, name)]),
    ...Object.entries(VENDOR).map(([name, path]): [string, string] => [name, path()]),
  ];
  for (const [name, file] of files) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(file);
    assets.set(name, { body, type, version: createHash('sha256').update(body).digest('base64url').slice(0, 10) });
  }
  return assets;
}

export function assetHandler(assets: Map<string, Asset>): RequestHandler {
  return (req, res) => {
    const asset = assets.get(String(req.params.file));
    if (!asset) return void res.status(404).json({ error: 'not_found', message: 'Berkas tampilan tidak ditemukan.', messageEn: 'No such admin asset.' });
    const versioned = req.query.v === asset.version;
    res.set({
      'Content-Type': asset.type,
      'Cache-Control': versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    });
    res.send(asset.body);
  };
}

export interface NavItem {
  href: string;
  label: string;
  minimum: Role;
  key: string;
  /** `more`: under the "Lainnya" menu (settings and rarely used pages), so the bar fits a laptop and a phone. */
  group?: 'more';
}

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

/** What every page's template receives, besides its own data. */
export interface PageData {
  title: string;
  /** Key of the navigation item to highlight. */
  nav?: string;
  flash?: Flash | null;
  [key: string]: unknown;
}

export function createRenderer(options: { base: string; assets: Map<string, Asset>; nav: NavItem[] }) {
  const eta = new Eta({ views: viewsDir, cache: true, autoEscape: true, autoTrim: [false, 'nl'], useWith: false });
  const asset = (name: string) => {
    const found = options.assets.get(name);
    if (!found) throw new Error(`unknown admin asset ${name}`);
    return `${options.base}/assets/${name}?v=${found.version}`;
  };

  /** Renders a page (view name without .eta) inside the layout. */
  function page(res: Response, view: string, data: PageData, status = 200): void {
    const auth = authOf(res);
    const user = auth
      ? { displayName: auth.user.displayName, username: auth.user.username, role: auth.user.role, roleLabel: ROLE_LABELS[auth.user.role] }
      : null;
    const nav = auth ? options.nav.filter((item) => hasRole(auth.user.role, item.minimum)).map((item) => ({ ...item, current: item.key === data.nav })) : [];
    const html = eta.render(view, { ...data, base: options.base, asset, user, csrf: auth?.session.csrfToken ?? data.csrf ?? null, navItems: nav });
    res.status(status).type('html').send(html);
  }

  /** A page with one message (errors, "no access"). */
  function message(_req: Request, res: Response, status: number, title: string, text: string): void {
    page(res, 'message', { title, text, status }, status);
  }

  return { page, message, asset };
}

export type Renderer = ReturnType<typeof createRenderer>;
