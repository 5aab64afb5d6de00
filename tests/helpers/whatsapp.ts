/**
 * Helpers for the WhatsApp tests, at the socket boundary (there is no
 * WhatsApp server to talk to):
 *
 *   wa.*            real Baileys message objects (proto.WebMessageInfo.fromObject)
 *   FakeSocket      Baileys' own event buffer (makeEventBuffer) as `ev`, and
 *                   sendMessage / readMessages / sendPresenceUpdate captured;
 *                   like the real socket it echoes what it sends back as a
 *                   `fromMe` messages.upsert ('append')
 *   createWhatsAppDesk  the real WhatsApp channel (createWhatsAppChannel) on a
 *                   real embedded store, real dispatcher, real outbox on the
 *                   embedded queue; only the socket is fake
 */
import { randomBytes } from 'node:crypto';
import { makeEventBuffer, proto, type UserFacingSocketConfig, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { Dispatcher } from '../../bot/dispatcher.js';
import { createLogger } from '../../bot/log.js';
import { deliveryQueue } from '../../bot/outbox.js';
import type { JobQueue } from '../../bot/queue/types.js';
import type { Store } from '../../bot/store/types.js';
import { createWhatsAppChannel, type WhatsAppChannel } from '../../channels/whatsapp/index.js';
import { createDeskCore } from './desk.js';

export const OFFICE_JID = '6281100000001@s.whatsapp.net';
const silent = createLogger({ level: 'silent' });

// ---------------------------------------------------------------- messages

let counter = 0;
/** A message id like the ones WhatsApp phones make (not ours: no MAC). */
export const phoneMessageId = () => `3A${randomBytes(9).toString('hex').toUpperCase()}${String(counter++).padStart(4, '0')}`;

export interface MessageOptions {
  id?: string;
  /** Seconds since epoch (default now). */
  timestamp?: number;
  pushName?: string;
  fromMe?: boolean;
  participant?: string;
  remoteJidAlt?: string;
}

function build(jid: string, message: proto.IMessage, options: MessageOptions = {}): WAMessage {
  const built = proto.WebMessageInfo.fromObject({
    key: { remoteJid: jid, fromMe: options.fromMe ?? false, id: options.id ?? phoneMessageId(), participant: options.participant },
    message,
    messageTimestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    pushName: options.pushName ?? (options.fromMe ? undefined : 'Warga'),
  }) as WAMessage;
  // Not a protobuf field: Baileys' decoder adds it to the key (decode-wa-message.js), and so do we.
  if (options.remoteJidAlt) built.key.remoteJidAlt = options.remoteJidAlt;
  return built;
}

const media = { url: 'https://mmg.whatsapp.net/v/t62.7118-24/fake.enc', mediaKey: Buffer.alloc(32, 7), directPath: '/v/t62.7118-24/fake.enc' };

export const wa = {
  text: (jid: string, text: string, options?: MessageOptions) => build(jid, { conversation: text }, options),
  extendedText: (jid: string, text: string, options?: MessageOptions) => build(jid, { extendedTextMessage: { text } }, options),
  image: (jid: string, caption = '', options?: MessageOptions & { fileLength?: number }) =>
    build(jid, { imageMessage: { ...media, mimetype: 'image/jpeg', caption, fileLength: options?.fileLength ?? 2048 } }, options),
  document: (jid: string, doc: { fileName: string; mimetype: string; fileLength?: number }, caption?: string, options?: MessageOptions) =>
    build(jid, { documentMessage: { ...media, mimetype: doc.mimetype, fileName: doc.fileName, fileLength: doc.fileLength ?? 1024, ...(caption ? { caption } : {}) } }, options),
  /** A document sent with a caption: WhatsApp wraps it (normalizeMessageContent unwraps). */
  documentWithCaption: (jid: string, doc: { fileName: string; mimetype: string }, caption: string, options?: MessageOptions) =>
    build(jid, { documentWithCaptionMessage: { message: { documentMessage: { ...media, mimetype: doc.mimetype, fileName: doc.fileName, fileLength: 1024, caption } } } }, options),
  voice: (jid: string, options?: MessageOptions) =>
    build(jid, { audioMessage: { ...media, mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 4, fileLength: 9000 } }, options),
  location: (jid: string, options?: MessageOptions) => build(jid, { locationMessage: { degreesLatitude: -0.8917, degreesLongitude: 119.8707, name: 'Kantor Dukcapil' } }, options),
  sticker: (jid: string, options?: MessageOptions) => build(jid, { stickerMessage: { ...media, mimetype: 'image/webp' } }, options),
  reaction: (jid: string, targetId: string, options?: MessageOptions) => build(jid, { reactionMessage: { key: { remoteJid: jid, id: targetId, fromMe: true }, text: '👍' } }, options),
  /** A disappearing-mode text (the content is wrapped in ephemeralMessage). */
  ephemeralText: (jid: string, text: string, options?: MessageOptions) => build(jid, { ephemeralMessage: { message: { extendedTextMessage: { text } } } }, options),
};

// ---------------------------------------------------------------- bytes

export function jpegBytes(size = 2048): Buffer {
  const data = Buffer.alloc(size, 0x11);
  data.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00], 0);
  return data;
}

export const pdfBytes = () => Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const oggBytes = () => Buffer.concat([Buffer.from('OggS'), Buffer.alloc(400, 3)]);

// ---------------------------------------------------------------- the socket

export interface SentMessage {
  jid: string;
  text: string;
  messageId: string | undefined;
  at: number;
}

export type FakeSocket = ReturnType<typeof fakeSocket>;

/** What the channel uses of a Baileys socket; events go through Baileys' real event buffer. */
export function fakeSocket(config?: UserFacingSocketConfig, options: { open?: boolean } = {}) {
  const ev = makeEventBuffer(silent);
  const sent: SentMessage[] = [];
  const reads: WAMessage['key'][] = [];
  const presences: { type: string; jid: string | undefined; at: number }[] = [];
  let ended = false;
  const socket = {
    ev,
    user: { id: '6281100000001:7@s.whatsapp.net', name: 'Dukcapil Palu' },
    authState: config?.auth,
    logger: silent,
    sent,
    reads,
    presences,
    /** Whether the channel closed this socket. */
    get ended() {
      return ended;
    },
    async sendMessage(jid: string, content: { text?: string }, opts?: { messageId?: string }) {
      const id = opts?.messageId ?? `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
      sent.push({ jid, text: content.text ?? '', messageId: opts?.messageId, at: Date.now() });
      const echo = build(jid, { extendedTextMessage: { text: content.text ?? '' } }, { id, fromMe: true });
      // Baileys (emitOwnEvents) reports our own message back as an 'append' upsert.
      process.nextTick(() => ev.emit('messages.upsert', { messages: [echo], type: 'append' }));
      return echo;
    },
    async readMessages(keys: WAMessage['key'][]) {
      reads.push(...keys);
    },
    async sendPresenceUpdate(type: string, jid?: string) {
      presences.push({ type, jid, at: Date.now() });
    },
    async requestPairingCode(phone: string) {
      return `${phone.slice(-4)}ABCD`;
    },
    async logout() {
      socket.end(Object.assign(new Error('Intentional Logout'), { output: { statusCode: 401 } }));
    },
    end(error?: Error) {
      if (ended) return;
      ended = true;
      ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
      ev.removeAllListeners('connection.update');
    },
  };
  if (options.open !== false) {
    process.nextTick(() => {
      ev.emit('connection.update', { connection: 'connecting' });
      ev.emit('connection.update', { connection: 'open' });
    });
  }
  return socket;
}

// ---------------------------------------------------------------- the desk

export interface WhatsAppDesk {
  store: Store;
  dispatcher: Dispatcher;
  queue: JobQueue;
  channel: WhatsAppChannel;
  /** The current socket. */
  socket(): FakeSocket;
  /** Media bytes the fake CDN serves, by message id. */
  media: Map<string, Buffer>;
  /** Emits messages as Baileys would and waits until they are handled and their replies sent. */
  receive(messages: WAMessage | WAMessage[], type?: 'notify' | 'append'): Promise<void>;
  /** Messages sent to one chat (or all). */
  sent(jid?: string): SentMessage[];
  flush(): Promise<void>;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function createWhatsAppDesk(options: { oldMessageHours?: number; ratePerSecond?: number; jitterMs?: [number, number] } = {}): Promise<WhatsAppDesk> {
  const { store, queue, outbox, dispatcher, log, logs, remove } = await createDeskCore('siratu-whatsapp-');
  const sockets: FakeSocket[] = [];
  const mediaStore = new Map<string, Buffer>();
  const channel = createWhatsAppChannel({
    store,
    dispatcher,
    log,
    authKey: randomBytes(32),
    oldMessageHours: options.oldMessageHours ?? 6,
    queue,
    fetchVersion: false,
    makeSocket: (config) => {
      const socket = fakeSocket(config);
      sockets.push(socket);
      return socket as unknown as WASocket;
    },
    download: async (message) => {
      const data = mediaStore.get(message.key.id!);
      if (!data) throw Object.assign(new Error('media not found on CDN'), { status: 404 });
      return data;
    },
    sender: { jitterMs: options.jitterMs ?? [0, 2], ratePerSecond: options.ratePerSecond ?? 100 },
  });
  outbox.register(channel.sender);
  outbox.start();
  await channel.start();
  await channel.connection.waitFor(['open'], 2000);

  const flush = async () => {
    for (let round = 0; round < 2000; round++) {
      await channel.inbound.idle();
      const counts = await queue.counts(deliveryQueue('whatsapp'));
      if (counts.waiting + counts.active + counts.delayed === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5)); // let the echoes of what was sent arrive
        await channel.inbound.idle();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('deliveries did not finish');
  };

  return {
    store,
    dispatcher,
    queue,
    channel,
    socket: () => sockets.at(-1)!,
    media: mediaStore,
    async receive(messages, type = 'notify') {
      sockets.at(-1)!.ev.emit('messages.upsert', { messages: Array.isArray(messages) ? messages : [messages], type });
      await flush();
    },
    sent: (jid) => sockets.flatMap((socket) => socket.sent).filter((message) => jid === undefined || message.jid === jid),
    flush,
    logs,
    async close() {
      await channel.stop();
      await flush();
      await queue.close();
      await store.close();
      remove();
    },
  };
}
