/**
 * CORS for the web chat API, so a city's own website can embed the widget.
 * WEBCHAT_ALLOWED_ORIGINS is "*" (any site) or a comma-separated list of
 * origins ("https://kota.go.id,https://dukcapil.kota.go.id"). The server's
 * own pages (the demo at /) are always allowed. The API uses no cookies, so
 * "*" never exposes anything: the session id travels in a header.
 */
import type { Request, RequestHandler } from 'express';
import { sendError } from './errors.js';
import { SESSION_HEADER } from './session.js';

function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin.toLowerCase();
  } catch {
    return origin.trim().toLowerCase().replace(/\/+$/u, '');
  }
}

export function parseAllowedOrigins(value: string): { any: boolean; origins: Set<string> } {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return { any: items.includes('*'), origins: new Set(items.filter((item) => item !== '*').map(normalizeOrigin)) };
}

function isSameOrigin(req: Request, origin: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === (req.get('host') ?? '').toLowerCase();
  } catch {
    return false;
  }
}

export function corsPolicy(allowedOrigins: string): RequestHandler {
  const { any, origins } = parseAllowedOrigins(allowedOrigins);
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (!origin) return next(); // not a cross-origin browser request
    const allowed = any || origins.has(normalizeOrigin(origin)) || isSameOrigin(req, origin);
    if (!allowed) return sendError(res, 'origin_not_allowed');
    res.set('Access-Control-Allow-Origin', any ? '*' : origin);
    res.set('Access-Control-Expose-Headers', 'Retry-After');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.set('Access-Control-Allow-Headers', `Content-Type, ${SESSION_HEADER}, Last-Event-ID`);
      res.set('Access-Control-Max-Age', '7200');
      res.status(204).end();
      return;
    }
    next();
  };
}
