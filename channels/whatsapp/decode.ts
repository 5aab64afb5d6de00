/**
 * Inbound half of the adapter, pure: what a Baileys message is to us.
 *
 *   ignore      not a citizen talking to the office: groups, status
 *               broadcasts, channels (newsletters), broadcast lists, bots,
 *               reactions, edits, protocol messages, messages that could not
 *               be decrypted (yet: Baileys retries and emits them again)
 *   text        conversation / extendedText
 *   media       an image or a document (downloaded and checked later)
 *   unreadable  voice, video, location, sticker, contact...: a polite reply
 *
 * `fromMe` messages are decoded the same way: the adapter decides whether
 * they are our own echo or staff typing on the linked phone.
 */
import {
  getContentType,
  isHostedLidUser,
  isHostedPnUser,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  normalizeMessageContent,
  toNumber,
  type WAMessage,
} from '@whiskeysockets/baileys';
import type { UnreadableKind } from '../../bot/types.js';

export interface DecodedBase {
  /** The chat, as we address the citizen: their phone-number JID when known, else their LID. */
  chatJid: string;
  /** The chat exactly as WhatsApp named it in this message (for read receipts and presence). */
  remoteJid: string;
  id: string;
  fromMe: boolean;
  pushName?: string;
  sentAt: Date;
}

export type Decoded =
  | { kind: 'ignore'; reason: string }
  | (DecodedBase & { kind: 'text'; text: string })
  | (DecodedBase & {
      kind: 'media';
      media: 'image' | 'document';
      caption: string;
      mimeType?: string;
      fileName?: string;
      /** Bytes, as the sender declared it (checked again after download). */
      fileLength?: number;
    })
  | (DecodedBase & {
      kind: 'unreadable';
      what: UnreadableKind;
      /** What the agents see in the conversation instead of the content. */
      text: string;
      /** A voice note may be downloaded for the agents to listen to. */
      audio?: { mimeType?: string; fileLength?: number };
    });

/** Content types that are not a message from a person (or that we never act on). */
const SILENT_TYPES = new Set([
  'protocolMessage',
  'reactionMessage',
  'encReactionMessage',
  'senderKeyDistributionMessage',
  'pollUpdateMessage',
  'keepInChatMessage',
  'pinInChatMessage',
  'callLogMesssage',
  'scheduledCallEditMessage',
  'bcallMessage',
  'messageHistoryBundle',
  'placeholderMessage',
]);

/** Whether a chat is a 1:1 chat with a person (not a group, broadcast, channel, bot...). */
export function isPersonalChat(jid: string | null | undefined): jid is string {
  if (!jid) return false;
  return Boolean(isPnUser(jid) || isLidUser(jid) || isHostedPnUser(jid) || isHostedLidUser(jid) || jid.endsWith('@c.us'));
}

/** The citizen's identity on the channel: the phone-number JID when WhatsApp tells us, else the LID. */
export function chatJidOf(key: WAMessage['key']): string | undefined {
  const remote = key.remoteJid ? jidNormalizedUser(key.remoteJid) : undefined;
  if (remote && isPnUser(remote)) return remote;
  const alt = key.remoteJidAlt ? jidNormalizedUser(key.remoteJidAlt) : undefined;
  if (alt && isPnUser(alt)) return alt;
  return remote;
}

const sizeOf = (value: unknown): number | undefined => {
  if (value === null || value === undefined) return undefined;
  const size = toNumber(value as number);
  return Number.isFinite(size) && size > 0 ? size : undefined;
};

export function decodeMessage(m: WAMessage): Decoded {
  const { key } = m;
  const remoteJid = key.remoteJid;
  if (!remoteJid || !key.id) return { kind: 'ignore', reason: 'no chat or id' };
  if (!isPersonalChat(remoteJid)) return { kind: 'ignore', reason: 'not a personal chat' };
  const chatJid = chatJidOf(key)!;
  const content = normalizeMessageContent(m.message);
  const type = getContentType(content);
  if (!content || !type) return { kind: 'ignore', reason: m.messageStubType ? 'stub (not decrypted)' : 'no content' };
  if (SILENT_TYPES.has(type)) return { kind: 'ignore', reason: type };

  const timestamp = m.messageTimestamp ? toNumber(m.messageTimestamp) : 0;
  const base: DecodedBase = {
    chatJid,
    remoteJid,
    id: key.id,
    fromMe: Boolean(key.fromMe),
    pushName: m.pushName?.trim() || undefined,
    sentAt: timestamp > 0 ? new Date(timestamp * 1000) : new Date(),
  };

  switch (type) {
    case 'conversation':
      return { ...base, kind: 'text', text: content.conversation ?? '' };
    case 'extendedTextMessage':
      return { ...base, kind: 'text', text: content.extendedTextMessage?.text ?? '' };
    case 'imageMessage': {
      const image = content.imageMessage!;
      return { ...base, kind: 'media', media: 'image', caption: image.caption ?? '', mimeType: image.mimetype ?? undefined, fileLength: sizeOf(image.fileLength) };
    }
    case 'documentMessage': {
      const doc = content.documentMessage!;
      return {
        ...base,
        kind: 'media',
        media: 'document',
        caption: doc.caption ?? '',
        mimeType: doc.mimetype ?? undefined,
        fileName: doc.fileName ?? doc.title ?? undefined,
        fileLength: sizeOf(doc.fileLength),
      };
    }
    case 'audioMessage': {
      const audio = content.audioMessage!;
      const seconds = audio.seconds ? ` ${audio.seconds} detik` : '';
      return {
        ...base,
        kind: 'unreadable',
        what: 'voice',
        text: `[pesan suara${seconds}]`,
        audio: { mimeType: audio.mimetype ?? undefined, fileLength: sizeOf(audio.fileLength) },
      };
    }
    case 'videoMessage':
    case 'ptvMessage': {
      const caption = content.videoMessage?.caption;
      return { ...base, kind: 'unreadable', what: 'video', text: caption ? `[video] ${caption}` : '[video]' };
    }
    case 'locationMessage':
    case 'liveLocationMessage': {
      const place = content.locationMessage ?? content.liveLocationMessage;
      const lat = place?.degreesLatitude;
      const lng = place?.degreesLongitude;
      const where = typeof lat === 'number' && typeof lng === 'number' ? ` ${lat.toFixed(5)}, ${lng.toFixed(5)}` : '';
      const name = content.locationMessage?.name || content.locationMessage?.address;
      return { ...base, kind: 'unreadable', what: 'location', text: `[lokasi]${where}${name ? ` (${name})` : ''}` };
    }
    case 'stickerMessage':
    case 'lottieStickerMessage':
      return { ...base, kind: 'unreadable', what: 'sticker', text: '[stiker]' };
    case 'contactMessage':
    case 'contactsArrayMessage': {
      // The vCard holds other people's phone numbers: only the display name is kept.
      const name = content.contactMessage?.displayName ?? content.contactsArrayMessage?.displayName;
      return { ...base, kind: 'unreadable', what: 'contact', text: name ? `[kontak] ${name}` : '[kontak]' };
    }
    default:
      return { ...base, kind: 'unreadable', what: 'other', text: `[${type}]` };
  }
}
