/**
 * The widget script and the demo page, read once at start-up. The widget is
 * kept gzipped in memory (phones on slow mobile data download ~10 KB instead
 * of ~40 KB) and revalidated with an ETag.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { RequestHandler } from 'express';

export const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public');

/** Embed URLs carry no version, so caches keep the widget only briefly and then revalidate (cheap: 304). */
const WIDGET_CACHE = 'public, max-age=600, stale-while-revalidate=86400';

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  etag: string;
  type: string;
  cacheControl: string;
}

function load(file: string, type: string, cacheControl: string): Asset {
  const body = readFileSync(join(publicDir, file));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzipped: gzipSync(body, { level: 9 }), etag, type, cacheControl };
}

function serve(asset: Asset, extraHeaders: Record<string, string> = {}): RequestHandler {
  return (req, res) => {
    res.set({ 'Content-Type': asset.type, 'Cache-Control': asset.cacheControl, ETag: asset.etag, Vary: 'Accept-Encoding', ...extraHeaders });
    const match = req.get('if-none-match');
    if (match && match.split(',').some((tag) => tag.trim().replace(/^W\//u, '') === asset.etag)) {
      res.status(304).end();
      return;
    }
    const gzip = /\bgzip\b/u.test(req.get('accept-encoding') ?? '');
    if (gzip) res.set('Content-Encoding', 'gzip');
    res.send(gzip ? asset.gzipped : asset.body);
  };
}

export function widgetScript(): RequestHandler {
  // Any website may load the script; Cross-Origin-Resource-Policy lets sites that set COEP embed it too.
  return serve(load('widget.js', 'text/javascript; charset=utf-8', WIDGET_CACHE), { 'Cross-Origin-Resource-Policy': 'cross-origin', 'X-Content-Type-Options': 'nosniff' });
}

export function demoPage(): RequestHandler {
  return serve(load('demo.html', 'text/html; charset=utf-8', 'no-cache'), { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
}
