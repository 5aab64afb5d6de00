/**
 * Inbound half of the Telegram adapter: a Telegram message becomes what the
 * engine understands. Pure functions over the Bot API's `Message`: nothing
 * here talks to Telegram or the store (files are fetched by ./files.ts, the
 * channel in ./channel.ts hands the result to the dispatcher).
 */
import type { Message } from 'grammy/types';
import type { Attachment, Inbound, UnreadableKind } from '../../bot/types.js';
import { MAX_CAPTION_LENGTH } from '../webchat/attachments.js';

/** Bot commands a citizen can type (the bot's menu in Telegram lists them, see COMMAND_LIST). */
export type Command = 'start' | 'menu' | 'batal';

/** Commands as they are registered with Telegram (setMyCommands): shown in the app's "/" menu. */
export const COMMAND_LIST: { command: Command; description: string }[] = [
  { command: 'start', description: 'Mulai percakapan' },
  { command: 'menu', description: 'Menu utama' },
  { command: 'batal', description: 'Batalkan proses yang sedang berjalan' },
];

/** Other spellings citizens reach for; they mean the same as one of ours. */
const COMMAND_ALIASES: Record<string, Command> = { help: 'menu', bantuan: 'menu', mulai: 'start', cancel: 'batal', stop: 'batal' };

/** What the citizen sent instead of text, for messages the engine cannot read (Inbound.unreadable). */
export type UnsupportedKind = Extract<UnreadableKind, 'voice' | 'video' | 'sticker' | 'location' | 'contact' | 'other'>;

/** A photo or document to fetch from Telegram before the message goes to the engine. */
export interface IncomingFile {
  kind: Extract<Attachment['kind'], 'image' | 'document'>;
  fileId: string;
  /** Size Telegram reports, when it does: checked before downloading. */
  size?: number;
  fileName?: string;
  /** Declared by the sender's app: a hint only, the bytes decide (see ./files.ts). */
  mimeType?: string;
}

export type Decoded =
  /** Not for us: groups, channels, bots, service messages. No reply. */
  | { type: 'ignore'; reason: string }
  | { type: 'text'; text: string }
  | { type: 'command'; command: Command; text: string }
  | { type: 'file'; file: IncomingFile; caption: string }
  /** `text` is what the agents see in the conversation in place of the content. */
  | { type: 'unsupported'; kind: UnsupportedKind; text: string };

/** `/menu`, `/menu@SiratuBot` or `/menu something` at the very start of the message. */
function commandOf(message: Message, botUsername: string | undefined): string | undefined {
  const entity = message.entities?.find((item) => item.type === 'bot_command' && item.offset === 0);
  if (!entity || message.text === undefined) return undefined;
  const [name, target] = message.text.slice(1, entity.length).split('@');
  // "/menu@OtherBot" in a chat with several bots is addressed to someone else.
  if (target && botUsername && target.toLowerCase() !== botUsername.toLowerCase()) return undefined;
  return name?.toLowerCase();
}

/** The largest size of a photo: Telegram lists them smallest first, but we do not rely on it. */
function largestPhoto(sizes: NonNullable<Message['photo']>) {
  return sizes.reduce((best, size) => (size.width * size.height > best.width * best.height ? size : best));
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const optional = (value: unknown, type: 'string' | 'number' | 'boolean') => value === undefined || typeof value === type;
const everyItem = (value: unknown, ok: (item: Record<string, unknown>) => boolean) => value === undefined || (Array.isArray(value) && value.every((item) => isObject(item) && ok(item)));
const optionalObject = (value: unknown, ok: (item: Record<string, unknown>) => boolean) => value === undefined || (isObject(value) && ok(value));

/**
 * Has the message the shape the Bot API documents, in every field the
 * decoder reads? Telegram's own updates always do; anything else (a broken
 * or forged update) is ignored instead of failing, which a webhook would
 * answer with 500 and Telegram would redeliver.
 */
export function isWellFormed(message: unknown): message is Message {
  if (!isObject(message) || !isObject(message.chat)) return false;
  const { chat } = message;
  if (!Number.isSafeInteger(chat.id) || typeof chat.type !== 'string' || !optional(chat.first_name, 'string') || !optional(chat.last_name, 'string')) return false;
  if (!Number.isSafeInteger(message.message_id) || typeof message.date !== 'number' || !Number.isFinite(message.date)) return false;
  if (!optional(message.text, 'string') || !optional(message.caption, 'string')) return false;
  return (
    optionalObject(message.from, (from) => optional(from.is_bot, 'boolean') && optional(from.first_name, 'string') && optional(from.last_name, 'string')) &&
    everyItem(message.entities, (entity) => typeof entity.type === 'string' && Number.isInteger(entity.offset) && Number.isInteger(entity.length)) &&
    everyItem(message.photo, (size) => typeof size.file_id === 'string' && typeof size.width === 'number' && typeof size.height === 'number' && optional(size.file_size, 'number')) &&
    optionalObject(message.document, (doc) => typeof doc.file_id === 'string' && optional(doc.mime_type, 'string') && optional(doc.file_name, 'string') && optional(doc.file_size, 'number')) &&
    optionalObject(message.sticker, (sticker) => optional(sticker.emoji, 'string')) &&
    optionalObject(message.venue, (venue) => typeof venue.title === 'string' && typeof venue.address === 'string') &&
    optionalObject(message.location, (location) => typeof location.latitude === 'number' && typeof location.longitude === 'number')
  );
}

/** What a Telegram message is, from the engine's point of view. */
export function decodeMessage(message: Message, botUsername?: string): Decoded {
  if (message.chat.type !== 'private') return { type: 'ignore', reason: `${message.chat.type} chat` };
  if (message.from?.is_bot) return { type: 'ignore', reason: 'from a bot' };
  const caption = (message.caption ?? '').trim().slice(0, MAX_CAPTION_LENGTH);

  if (message.text !== undefined) {
    const name = commandOf(message, botUsername);
    if (name !== undefined) {
      const command = (COMMAND_LIST.some((item) => item.command === name) ? name : COMMAND_ALIASES[name]) as Command | undefined;
      // An unknown command ("/ktp") is read as the words the citizen typed.
      if (command) return { type: 'command', command, text: message.text };
      return { type: 'text', text: message.text.replace(/^\/(\S+?)(@\S+)?(?=\s|$)/u, '$1').replace(/_/gu, ' ') };
    }
    return { type: 'text', text: message.text };
  }
  if (message.photo?.length) {
    const photo = largestPhoto(message.photo);
    return { type: 'file', file: { kind: 'image', fileId: photo.file_id, size: photo.file_size, mimeType: 'image/jpeg' }, caption };
  }
  if (message.document) {
    const { document } = message;
    const kind = document.mime_type?.startsWith('image/') ? 'image' : 'document';
    return { type: 'file', file: { kind, fileId: document.file_id, size: document.file_size, fileName: document.file_name, mimeType: document.mime_type }, caption };
  }
  const unsupported = (kind: UnsupportedKind, what: string): Decoded => ({ type: 'unsupported', kind, text: caption ? `[${what}] ${caption}` : `[${what}]` });
  if (message.voice) return unsupported('voice', 'pesan suara');
  if (message.video_note) return unsupported('video', 'video pesan');
  if (message.audio) return unsupported('voice', 'audio');
  if (message.video || message.animation) return unsupported('video', 'video');
  if (message.sticker) return unsupported('sticker', `stiker${message.sticker.emoji ? ` ${message.sticker.emoji}` : ''}`);
  if (message.venue) return unsupported('location', `lokasi: ${message.venue.title}, ${message.venue.address}`);
  if (message.location) return unsupported('location', `lokasi: ${message.location.latitude.toFixed(5)}, ${message.location.longitude.toFixed(5)}`);
  if (message.contact) return unsupported('contact', 'kartu kontak');
  if (message.poll) return unsupported('other', 'polling');
  if (message.dice || message.game || message.story) return unsupported('other', 'pesan lain');
  // Service messages (pinned, chat photo changed...): nothing the citizen wrote.
  return { type: 'ignore', reason: 'service message' };
}

/** The identity and bookkeeping fields every Inbound from Telegram carries. */
export function inboundBase(message: Message): Omit<Inbound, 'text'> {
  const name = [message.chat.first_name ?? message.from?.first_name, message.chat.last_name ?? message.from?.last_name].filter(Boolean).join(' ').trim();
  return {
    channel: 'telegram',
    senderId: String(message.chat.id),
    // Message ids are unique per chat: a redelivered update has the same pair.
    platformMessageId: `${message.chat.id}:${message.message_id}`,
    senderName: name || undefined,
    sentAt: new Date(message.date * 1000),
  };
}

/** What the engine reads for a command: it greets on "/start", shows the menu on "menu", leaves any flow on "batal". */
export const COMMAND_TEXT: Record<Command, string> = { start: '/start', menu: 'menu', batal: 'batal' };
