/**
 * Signed-in browsers.
 *
 * The cookie `siratu_session` carries 32 random bytes (base64url); the store
 * keeps only their SHA-256 as the session id, so a copy of the database
 * gives no usable cookie. The cookie is httpOnly, SameSite=Lax, limited to
 * the admin area's path, and Secure when the request came over HTTPS
 * (COOKIE_SECURE=auto, the default; `true`/`false` force it).
 *
 * Expiry slides: 8 hours without activity, 7 days at most since sign-in.
 * A session waiting for its two-factor code lives 5 minutes. Every sign-in,
 * and every step up from "password checked" to "signed in", starts a new
 * session with a new cookie (no session fixation).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Session, Store, User } from '../bot/store/types.js';

export const SESSION_COOKIE = 'siratu_session';
export type CookieSecure = 'auto' | 'true' | 'false';

export const SESSION_IDLE_MS = 8 * 60 * 60_000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60_000;
export const PENDING_TOTP_MS = 5 * 60_000;
/** lastSeenAt is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/u;

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of two strings (false when lengths differ). */
export function sameSecret(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** One cookie's value from the request, or undefined. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  sameSite: 'Lax' | 'Strict';
  maxAgeSeconds?: number;
}

/** Whether cookies set in answer to this request get the Secure flag. */
export function secureFor(req: Request, setting: CookieSecure): boolean {
  if (setting === 'true') return true;
  if (setting === 'false') return false;
  return req.secure;
}

export function setCookie(res: Response, name: string, value: string, secure: boolean, options: CookieOptions): void {
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', `SameSite=${options.sameSite}`];
  if (secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  res.append('Set-Cookie', parts.join('; '));
}

export function clearCookie(res: Response, name: string, secure: boolean, options: Omit<CookieOptions, 'maxAgeSeconds'>): void {
  setCookie(res, name, '', secure, { ...options, maxAgeSeconds: 0 });
}

export interface Signed {
  session: Session;
  user: User;
}

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly options: { cookieSecure: CookieSecure; path: string },
  ) {}

  private cookieOptions(): CookieOptions {
    return { path: this.options.path, sameSite: 'Lax' };
  }

  /** Starts a new session for the user and sets its cookie. Ends the session the browser had before, if any. */
  async start(req: Request, res: Response, user: User, options: { pendingTotp: boolean; now?: Date }): Promise<Session> {
    await this.end(req, res, { keepCookie: true });
    const now = options.now ?? new Date();
    const token = randomToken();
    const life = options.pendingTotp ? PENDING_TOTP_MS : SESSION_IDLE_MS;
    const session = await this.store.sessions.create({
      id: hashToken(token),
      userId: user.id,
      csrfToken: randomToken(),
      pendingTotp: options.pendingTotp,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + life),
    });
    setCookie(res, SESSION_COOKIE, token, secureFor(req, this.options.cookieSecure), this.cookieOptions());
    return session;
  }

  /**
   * The request's live session and its user, or null. Expired sessions,
   * sessions of disabled or deleted users are deleted on the way. Slides
   * the idle expiry forward (within the absolute limit).
   */
  async read(req: Request, now = new Date()): Promise<Signed | null> {
    const token = readCookie(req, SESSION_COOKIE);
    if (!token || !TOKEN.test(token)) return null;
    const id = hashToken(token);
    const session = await this.store.sessions.get(id);
    if (!session) return null;
    const absoluteEnd = session.createdAt.getTime() + (session.pendingTotp ? PENDING_TOTP_MS : SESSION_ABSOLUTE_MS);
    if (session.expiresAt.getTime() <= now.getTime() || absoluteEnd <= now.getTime()) {
      await this.store.sessions.delete(id);
      return null;
    }
    const user = await this.store.users.get(session.userId);
    if (!user || user.disabled) {
      await this.store.sessions.delete(id);
      return null;
    }
    if (!session.pendingTotp && now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      const expiresAt = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, absoluteEnd));
      const touched = await this.store.sessions.update(id, { lastSeenAt: now, expiresAt });
      return touched ? { session: touched, user } : null;
    }
    return { session, user };
  }

  /** Deletes the browser's session (logout) and clears its cookie. */
  async end(req: Request, res: Response, options: { keepCookie?: boolean } = {}): Promise<void> {
    const token = readCookie(req, SESSION_COOKIE);
    if (token && TOKEN.test(token)) await this.store.sessions.delete(hashToken(token));
    if (!options.keepCookie) clearCookie(res, SESSION_COOKIE, secureFor(req, this.options.cookieSecure), this.cookieOptions());
  }

  /** Signs the user out everywhere (password changed, account disabled, two-factor reset). */
  async endAllFor(userId: string): Promise<void> {
    await this.store.sessions.deleteForUser(userId);
  }
}
