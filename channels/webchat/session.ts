/**
 * Web chat identity. A browser has no phone number or chat id, so the
 * server issues a random session id (a bearer secret kept in the browser's
 * localStorage). The citizen's `senderId` on channel `web` is a hash of it:
 * the secret itself is never stored, so a leaked database does not let
 * anyone read a citizen's chat.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';

export const SESSION_HEADER = 'X-Siratu-Session';

/** 32 random bytes, base64url: 43 characters. Longer ids (up to 128) are accepted for future formats. */
const SESSION_PATTERN = /^[A-Za-z0-9_-]{32,128}$/u;

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_PATTERN.test(value);
}

/** The session id of a request: the header, or `?session=` (EventSource cannot send headers). */
export function readSession(req: Request): string | undefined {
  const fromHeader = req.get(SESSION_HEADER);
  const fromQuery = typeof req.query.session === 'string' ? req.query.session : undefined;
  const value = fromHeader ?? fromQuery;
  return isSessionId(value) ? value : undefined;
}

/**
 * A short, non-reversible tag of a session. Platform message ids are unique
 * per channel, not per sender, so the browser's clientMessageId is stored
 * as `<tag>:<clientMessageId>`: another session reusing the same id can
 * neither block a message nor read its replies.
 */
export function sessionTag(session: string): string {
  return createHash('sha256').update(session).digest('base64url').slice(0, 16);
}

/** The citizen's identity on channel `web`: a one-way hash of the session secret. */
export function senderIdOf(session: string): string {
  return `w_${createHash('sha256').update(session).digest('base64url')}`;
}
