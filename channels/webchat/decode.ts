/**
 * Inbound half of the adapter: an HTTP request body becomes the engine's
 * `Inbound`. Only shape and size are checked here; what the text means is
 * the engine's business.
 */
import { MAX_TEXT_LENGTH } from '../../bot/dispatcher.js';
import type { Inbound } from '../../bot/types.js';
import type { ErrorCode } from './errors.js';
import { senderIdOf, sessionTag } from './session.js';

const CLIENT_MESSAGE_ID = /^[A-Za-z0-9_-]{8,64}$/u;
/** Message ids are ULIDs; anything id-like is accepted, the store filters by contact anyway. */
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/u;

export type Decoded = { ok: true; inbound: Inbound } | { ok: false; error: ErrorCode };

/** POST /api/messages body → Inbound. */
export function decodeMessage(session: string, body: unknown): Decoded {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'invalid_body' };
  const { text, clientMessageId } = body as Record<string, unknown>;
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, error: 'text_required' };
  if (text.length > MAX_TEXT_LENGTH) return { ok: false, error: 'text_too_long' };
  if (typeof clientMessageId !== 'string' || !CLIENT_MESSAGE_ID.test(clientMessageId)) return { ok: false, error: 'invalid_client_message_id' };
  return {
    ok: true,
    inbound: {
      channel: 'web',
      senderId: senderIdOf(session),
      text,
      platformMessageId: `${sessionTag(session)}:${clientMessageId}`,
    },
  };
}

/** The browser's own id back from a stored `platformMessageId` (see sessionTag). */
export function clientMessageIdOf(platformMessageId: string | undefined): string | undefined {
  if (!platformMessageId) return undefined;
  const colon = platformMessageId.indexOf(':');
  return colon >= 0 ? platformMessageId.slice(colon + 1) : undefined;
}

/** `?after=` or Last-Event-ID: undefined when absent, null when malformed. */
export function decodeAfter(value: unknown): string | undefined | null {
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' && MESSAGE_ID.test(value) ? value : null;
}
