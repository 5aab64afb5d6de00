/**
 * The routes an express app really has, found by walking its router stacks
 * (express 5 / router 2), not from a hand-kept list: a route added tomorrow
 * shows up in every test that uses this. Also lists middleware mounted on a
 * sub-path that is not a router (its own routes are invisible to the walk).
 */
import type { Role } from '../../bot/store/types.js';

export interface FoundRoute {
  method: string;
  path: string;
  markers: { requiredRole?: Role; publicRoute?: true; pendingTotp?: true }[];
}

export interface RawLayer {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: { handle: Record<string, unknown> }[] };
  handle: { stack?: RawLayer[] } & Record<string, unknown>;
  rawPath?: unknown;
  slash?: boolean;
  name?: string;
}

export function walk(stack: RawLayer[], prefix: string, routes: FoundRoute[], stray: string[]): void {
  for (const layer of stack) {
    const raw = typeof layer.rawPath === 'string' ? layer.rawPath : layer.route ? String(layer.route.path) : '/';
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths) {
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m])) {
          routes.push({
            method: method.toUpperCase(),
            path: `${prefix}${path === '/' && prefix ? '' : path}` || '/',
            markers: layer.route.stack.map((item) => item.handle).filter((handle) => 'requiredRole' in handle || 'publicRoute' in handle || 'pendingTotp' in handle) as FoundRoute['markers'],
          });
        }
      }
    } else if (Array.isArray(layer.handle.stack)) {
      walk(layer.handle.stack, `${prefix}${raw === '/' ? '' : raw}`, routes, stray);
    } else if (!layer.slash && raw !== '/') {
      stray.push(`${prefix}${raw} (${layer.name})`);
    }
  }
}

/** Every route of an express app (`app.router.stack`), and the paths of stray mounted middleware. */
export function routesOf(app: unknown): { routes: FoundRoute[]; stray: string[] } {
  const routes: FoundRoute[] = [];
  const stray: string[] = [];
  walk((app as { router: { stack: RawLayer[] } }).router.stack, '', routes, stray);
  return { routes, stray };
}
