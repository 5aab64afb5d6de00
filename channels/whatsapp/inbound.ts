/**
 * The WhatsApp adapter's receiving side, at the socket boundary: it listens
 * to Baileys' `messages.upsert` on whatever socket it is attached to and
 * hands each citizen message to the engine the way every channel does
 * (`dispatcher.receive`). Replies never leave from here: the engine stores
 * them and the outbox sends them (see sender.ts).
 *
 *   citizen text / image / document  → dispatcher.receive (files saved in the store first)
 *   voice, video, location, sticker  → stored + a polite "please type" (the engine, Inbound.unreadable)
 *   older than WHATSAPP_OLD_MESSAGE_HOURS → stored, chat handed to agents with an apology
 *   staff typing on the linked phone → stored as the agent's message; the bot pauses there
 *   our own messages echoed back     → ignored (their ids carry our MAC, see crypto.ts)
 *   groups, status, channels, lists  → ignored, and left unread on the phone
 *
 * Messages of one chat are handled one at a time, in order; chats run in
 * parallel. While the engine works the citizen sees "typing…", and the
 * message is marked read once it is stored.
 */
import { createHash } from 'node:crypto';
import { downloadMediaMessage, type BaileysEventMap, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { Dispatcher } from '../../bot/dispatcher.js';
import type { Logger } from '../../bot/log.js';
import { normalizePhone } from '../../bot/personal-data.js';
import type { Store } from '../../bot/store/types.js';
import type { Attachment, Inbound, UnreadableKind } from '../../bot/types.js';
import { ACCEPTED_TYPES, MAX_FILE_BYTES, fileType, isAcceptedType, safeFileName } from '../webchat/attachments.js';
import type { AuthCipher } from './crypto.js';
import { decodeMessage, type Decoded } from './decode.js';
import type { KnownChats } from './known-chats.js';

/** Who "wrote" a message typed on the linked phone: shown in the inbox as the assignee. */
export const PHONE_AGENT_ID = 'whatsapp-phone';

/** What the adapter needs from a Baileys socket (a real one, or a test double). */
export type InboundSocket = Pick<WASocket, 'ev'> & Partial<Pick<WASocket, 'readMessages' | 'sendPresenceUpdate' | 'updateMediaMessage' | 'logger'>>;

/** Fetches a media message's bytes (Baileys' CDN download by default; injected in tests). */
export type MediaDownloader = (message: WAMessage, socket: InboundSocket) => Promise<Buffer>;

export const downloadWithBaileys: MediaDownloader = (message, socket) =>
  downloadMediaMessage(
    message,
    'buffer',
    {},
    socket.updateMediaMessage && socket.logger ? { reuploadRequest: socket.updateMediaMessage, logger: socket.logger } : undefined,
  );

export interface WhatsAppInboundDeps {
  store: Store;
  dispatcher: Pick<Dispatcher, 'receive' | 'events'>;
  cipher: AuthCipher;
  chats: KnownChats;
  log: Logger;
  /** Citizen messages older than this when they reach us are not answered by the bot (WHATSAPP_OLD_MESSAGE_HOURS). */
  oldMessageMs: number;
  download?: MediaDownloader;
  clock?: () => Date;
  /** Largest photo or document we take (the web chat's limit). */
  maxFileBytes?: number;
  /** Tries per message when the store fails (the platform will not deliver it again). */
  attempts?: number;
  retryDelayMs?: number;
}

type Person = Exclude<Decoded, { kind: 'ignore' }>;

export class WhatsAppInbound {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly withPhone = new Set<string>();
  private readonly clock: () => Date;
  private readonly download: MediaDownloader;
  private readonly maxFileBytes: number;
  private readonly log: Logger;

  constructor(private readonly deps: WhatsAppInboundDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.download = deps.download ?? downloadWithBaileys;
    this.maxFileBytes = deps.maxFileBytes ?? MAX_FILE_BYTES;
    this.log = deps.log.child({ channel: 'whatsapp' });
  }

  /** Starts handling the socket's messages; returns a function that stops it. */
  attach(socket: InboundSocket): () => void {
    const listener = ({ messages, type }: BaileysEventMap['messages.upsert']) => {
      // 'notify': live; 'append': caught up after a reconnect, or sent from the linked phone.
      for (const message of messages) this.enqueue(message, socket, type);
    };
    socket.ev.on('messages.upsert', listener);
    return () => socket.ev.off('messages.upsert', listener);
  }

  /** Resolves once every message handed over so far has been handled (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private enqueue(message: WAMessage, socket: InboundSocket, type: string): void {
    const decoded = decodeMessage(message);
    if (decoded.kind === 'ignore') {
      this.log.debug({ reason: decoded.reason, type }, 'whatsapp message ignored');
      return;
    }
    const chat = decoded.chatJid;
    const previous = this.chains.get(chat) ?? Promise.resolve();
    const next = previous.then(() => this.handleWithRetries(decoded, message, socket));
    this.chains.set(chat, next);
    void next.finally(() => {
      if (this.chains.get(chat) === next) this.chains.delete(chat);
    });
  }

  private async handleWithRetries(decoded: Person, message: WAMessage, socket: InboundSocket): Promise<void> {
    const attempts = this.deps.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.handle(decoded, message, socket);
      } catch (error) {
        // WhatsApp already has our ack: this process is the message's only chance.
        if (attempt >= attempts) {
          this.log.error({ err: error, messageId: decoded.id }, 'whatsapp message could not be stored; giving up');
          return;
        }
        this.log.warn({ err: error, messageId: decoded.id, attempt }, 'whatsapp message failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, (this.deps.retryDelayMs ?? 1000) * (2 ** attempt - 1)));
      }
    }
  }

  private async handle(decoded: Person, message: WAMessage, socket: InboundSocket): Promise<void> {
    if (decoded.fromMe) {
      if (this.deps.cipher.isOurMessageId(decoded.id)) return; // our own reply, echoed back
      return this.takeover(decoded);
    }
    const { chats } = this.deps;
    await chats.remember(decoded.chatJid);
    const late = this.clock().getTime() - decoded.sentAt.getTime() > this.deps.oldMessageMs;
    if (!late) await this.presence(socket, 'composing', decoded.remoteJid);

    const base: Inbound = {
      channel: 'whatsapp',
      senderId: decoded.chatJid,
      text: '',
      platformMessageId: decoded.id,
      senderName: decoded.pushName,
      sentAt: decoded.sentAt,
    };
    let inbound: Inbound;
    let unreadable: UnreadableKind | undefined;
    if (decoded.kind === 'text') {
      inbound = { ...base, text: decoded.text };
    } else if (decoded.kind === 'media') {
      const fetched = await this.fetchMedia(decoded, message, socket);
      if (fetched.ok) inbound = { ...base, text: decoded.caption, attachments: [fetched.attachment] };
      else {
        const label = decoded.media === 'image' ? 'foto' : `dokumen${decoded.fileName ? ` ${decoded.fileName}` : ''}`;
        inbound = { ...base, text: `[${label}: ${fetched.note}]${decoded.caption ? ` ${decoded.caption}` : ''}` };
        unreadable = fetched.what;
      }
    } else {
      const audio = decoded.audio ? await this.fetchVoice(decoded, message, socket) : undefined;
      inbound = { ...base, text: decoded.text, attachments: audio ? [audio] : undefined };
      unreadable = decoded.what;
    }

    const result = await this.deps.dispatcher.receive({ ...inbound, unreadable, late: late || undefined });

    await this.readReceipt(socket, message);
    // With replies on their way the outbox's message ends the typing; otherwise stop it now.
    if (!late && result.replies.length === 0) await this.presence(socket, 'paused', decoded.remoteJid);
    if (!result.duplicate) await this.rememberPhone(decoded.chatJid, result.message.contactId);
    this.log.debug({ messageId: result.message.id, duplicate: result.duplicate, late, unreadable, replies: result.replies.length }, 'whatsapp message received');
  }

  /**
   * Staff answered the citizen from the linked phone: the message joins the
   * conversation as the agent's, and the conversation becomes theirs
   * (`agent`, assignee `whatsapp-phone`), so the bot stays silent there
   * until someone hands it back in the inbox. Only chats whose citizen wrote
   * to us count; an old message (caught up after a long disconnect) is
   * recorded but takes nothing over.
   */
  private async takeover(decoded: Person): Promise<void> {
    const { store, dispatcher, chats } = this.deps;
    if (!(await chats.has(decoded.chatJid))) return;
    const contact = await store.contacts.upsert('whatsapp', decoded.chatJid);
    const conversation = await store.conversations.open(contact);
    const text =
      decoded.kind === 'text'
        ? decoded.text
        : decoded.kind === 'media'
          ? `[${decoded.media === 'image' ? 'foto' : 'dokumen'} dari HP kantor]${decoded.caption ? ` ${decoded.caption}` : ''}`
          : decoded.text;
    const now = this.clock();
    const { message, duplicate } = await store.messages.add({
      id: sortableIdFor(decoded.sentAt, `whatsapp:${decoded.id}`),
      conversationId: conversation.id,
      contactId: contact.id,
      channel: 'whatsapp',
      direction: 'out',
      author: 'agent',
      authorId: PHONE_AGENT_ID,
      text,
      createdAt: decoded.sentAt,
    });
    if (duplicate) return;
    // Already on the citizen's phone: nothing for the outbox to send, and the inbox shows it as delivered.
    await store.messages.setDelivery(message.id, {
      status: 'sent',
      attempts: 0,
      sentParts: 1,
      platformMessageIds: [decoded.id],
      sentAt: decoded.sentAt,
      updatedAt: now,
    });
    dispatcher.events.emit('message', message, conversation);
    if (now.getTime() - decoded.sentAt.getTime() > this.deps.oldMessageMs) return;
    const updated = await store.conversations.update(
      conversation.id,
      { state: 'agent', assigneeId: PHONE_AGENT_ID, assignedAt: now, flow: null, lastMessageAt: now },
      // An agent already working the chat in the inbox keeps it.
      { ifState: ['bot', 'waiting'] },
    );
    if (updated) {
      dispatcher.events.emit('conversation', updated);
      this.log.info({ conversation: conversation.id }, 'staff replied from the linked phone: bot paused for this chat');
    }
  }

  private async fetchMedia(
    decoded: Extract<Person, { kind: 'media' }>,
    message: WAMessage,
    socket: InboundSocket,
  ): Promise<{ ok: true; attachment: Attachment } | { ok: false; what: UnreadableKind; note: string }> {
    if (decoded.fileLength !== undefined && decoded.fileLength > this.maxFileBytes) return { ok: false, what: 'fileTooLarge', note: 'terlalu besar' };
    const declared = (decoded.mimeType ?? '').split(';')[0]!.trim().toLowerCase();
    // A Word file or a ZIP is refused before spending bandwidth on it.
    if (decoded.media === 'document' && declared && !isAcceptedType(declared) && declared !== 'application/octet-stream') {
      return { ok: false, what: 'fileType', note: 'jenis tidak diterima' };
    }
    let data: Buffer;
    try {
      data = await this.download(message, socket);
    } catch (error) {
      this.log.warn({ err: error, messageId: decoded.id }, 'whatsapp media download failed');
      return { ok: false, what: 'downloadFailed', note: 'gagal diunduh' };
    }
    if (data.length > this.maxFileBytes) return { ok: false, what: 'fileTooLarge', note: 'terlalu besar' };
    const type = fileType(data, declared);
    if (!type) return { ok: false, what: 'fileType', note: 'jenis tidak diterima' };
    const fileName = safeFileName(decoded.fileName, type);
    const key = await this.deps.store.files.put(data, { fileName, mimeType: type });
    return { ok: true, attachment: { kind: ACCEPTED_TYPES[type].kind, key, fileName, mimeType: type, size: data.length } };
  }

  /** A voice note is kept for the agents to listen to, when it is small and really Ogg audio. */
  private async fetchVoice(decoded: Extract<Person, { kind: 'unreadable' }>, message: WAMessage, socket: InboundSocket): Promise<Attachment | undefined> {
    if ((decoded.audio?.fileLength ?? 0) > this.maxFileBytes) return undefined;
    try {
      const data = await this.download(message, socket);
      if (data.length > this.maxFileBytes || data.subarray(0, 4).toString('latin1') !== 'OggS') return undefined;
      const fileName = 'pesan-suara.ogg';
      const key = await this.deps.store.files.put(data, { fileName, mimeType: 'audio/ogg' });
      return { kind: 'audio', key, fileName, mimeType: 'audio/ogg', size: data.length };
    } catch (error) {
      this.log.debug({ err: error, messageId: decoded.id }, 'voice note not downloaded');
      return undefined;
    }
  }

  /** The WhatsApp number is the citizen's phone: kept on the contact (08… form) unless they gave one. */
  private async rememberPhone(chatJid: string, contactId: string): Promise<void> {
    if (this.withPhone.has(chatJid)) return;
    this.withPhone.add(chatJid);
    const phone = chatJid.endsWith('@s.whatsapp.net') ? normalizePhone(chatJid.split('@')[0]!) : undefined;
    if (!phone) return;
    const contact = await this.deps.store.contacts.get(contactId);
    if (contact && !contact.phone) await this.deps.store.contacts.update(contactId, { phone });
  }

  private async readReceipt(socket: InboundSocket, message: WAMessage): Promise<void> {
    try {
      await socket.readMessages?.([message.key]);
    } catch (error) {
      this.log.debug({ err: error }, 'read receipt not sent');
    }
  }

  private async presence(socket: InboundSocket, state: 'composing' | 'paused', jid: string): Promise<void> {
    try {
      await socket.sendPresenceUpdate?.(state, jid);
    } catch (error) {
      this.log.debug({ err: error }, 'presence not sent');
    }
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID whose time is `at` and whose random part comes from `seed`: it
 * sorts with the conversation's other messages (ids are ULIDs and the
 * stores order by id) and is the same every time the platform redelivers
 * the message, so storing it twice is a no-op.
 */
export function sortableIdFor(at: Date, seed: string): string {
  let time = Math.max(0, Math.floor(at.getTime()));
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[time % 32]! + timePart;
    time = Math.floor(time / 32);
  }
  const hash = createHash('sha256').update(seed).digest();
  let bits = 0n;
  for (const byte of hash.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let randomPart = '';
  for (let i = 0; i < 16; i++) {
    randomPart = CROCKFORD[Number(bits & 31n)]! + randomPart;
    bits >>= 5n;
  }
  return timePart + randomPart;
}
