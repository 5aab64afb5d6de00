/**
 * Outbound half of the adapter: stored messages become the JSON the widget
 * renders. Text keeps the engine's WhatsApp-style markup (*bold*, _italic_,
 * \n); the widget turns it into DOM nodes without ever using it as HTML.
 */
import type { Message, MessageAuthor } from '../../bot/store/types.js';
import type { Attachment, ReplyKind, ReplyOption } from '../../bot/types.js';
import { clientMessageIdOf } from './decode.js';

/** A file on a message. `url` is relative to the API (`files/<key>`); the widget adds the session. */
export interface WebAttachment {
  kind: Attachment['kind'];
  fileName: string;
  mimeType: string;
  /** Bytes, when known. */
  size: number | null;
  url: string;
}

export interface WebMessage {
  id: string;
  direction: 'in' | 'out';
  author: MessageAuthor;
  text: string;
  kind: ReplyKind | null;
  /** Tappable choices: show `label`, send `value` as the citizen's next message. */
  options: ReplyOption[];
  /** Photos and documents sent with the message (empty for most). */
  attachments: WebAttachment[];
  createdAt: string;
  /** The browser's id for a citizen message sent from this session, so the widget can match its pending bubble. */
  clientMessageId?: string;
}

export function encodeMessage(message: Message): WebMessage {
  const encoded: WebMessage = {
    id: message.id,
    direction: message.direction,
    author: message.author,
    text: message.text,
    kind: message.kind ?? null,
    options: (message.options ?? []).map(({ label, value }) => ({ label, value })),
    attachments: (message.attachments ?? []).map(encodeAttachment),
    createdAt: message.createdAt.toISOString(),
  };
  const clientMessageId = message.channel === 'web' ? clientMessageIdOf(message.platformMessageId) : undefined;
  if (clientMessageId) encoded.clientMessageId = clientMessageId;
  return encoded;
}

export function encodeAttachment(attachment: Attachment): WebAttachment {
  return {
    kind: attachment.kind,
    fileName: attachment.fileName ?? (attachment.kind === 'image' ? 'foto' : 'berkas'),
    mimeType: attachment.mimeType ?? 'application/octet-stream',
    size: attachment.size ?? null,
    url: `files/${encodeURIComponent(attachment.key)}`,
  };
}
