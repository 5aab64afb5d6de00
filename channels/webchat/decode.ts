/**
 * Inbound half of the adapter: an HTTP request body becomes the engine's
 * `Inbound`. Only shape and size are checked here; what the text means is
 * the engine's business.
 */
import { MAX_TEXT_LENGTH } from '../../bot/dispatcher.js';
import type { Attachment, Inbound } from '../../bot/types.js';
import { ACCEPTED_TYPES, MAX_CAPTION_LENGTH, fileType, safeFileName } from './attachments.js';
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

export interface DecodedUpload {
  /** The message without its attachment: the file gets its key once stored. */
  inbound: Inbound;
  data: Buffer;
  meta: { fileName: string; mimeType: string };
  kind: Attachment['kind'];
}

/**
 * POST /api/attachments multipart fields (`text`, `clientMessageId`) and
 * file → what to store and the Inbound to hand on. The file's type comes
 * from its bytes; its name loses any path and is cut to 100 characters.
 */
export function decodeUpload(
  session: string,
  body: Record<string, unknown>,
  file: { buffer: Buffer; originalname?: string; mimetype?: string } | undefined,
): { ok: true; upload: DecodedUpload } | { ok: false; error: ErrorCode } {
  if (!file || file.buffer.length === 0) return { ok: false, error: 'file_required' };
  const { text = '', clientMessageId } = body;
  if (typeof text !== 'string') return { ok: false, error: 'invalid_upload' };
  if (text.length > MAX_CAPTION_LENGTH) return { ok: false, error: 'caption_too_long' };
  if (typeof clientMessageId !== 'string' || !CLIENT_MESSAGE_ID.test(clientMessageId)) return { ok: false, error: 'invalid_client_message_id' };
  const type = fileType(file.buffer, file.mimetype);
  if (!type) return { ok: false, error: 'unsupported_file_type' };
  return {
    ok: true,
    upload: {
      inbound: {
        channel: 'web',
        senderId: senderIdOf(session),
        text: text.trim(),
        platformMessageId: `${sessionTag(session)}:${clientMessageId}`,
      },
      data: file.buffer,
      meta: { fileName: safeFileName(file.originalname, type), mimeType: type },
      kind: ACCEPTED_TYPES[type].kind,
    },
  };
}

/** The stored upload as the engine's Inbound, with its one attachment. */
export function uploadInbound(upload: DecodedUpload, key: string): Inbound {
  const attachment: Attachment = { kind: upload.kind, key, fileName: upload.meta.fileName, mimeType: upload.meta.mimeType, size: upload.data.length };
  return { ...upload.inbound, attachments: [attachment] };
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
