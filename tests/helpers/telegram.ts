/**
 * Helpers for the Telegram tests: real Bot API update objects, and a real
 * Telegram channel (real grammY Bot with botInfo set, real dispatcher, real
 * embedded store) whose Bot API calls are captured by a grammY transformer
 * instead of reaching any network.
 */
import type { Message, Update, UserFromGetMe } from 'grammy/types';
import type { ChannelSender } from '../../bot/delivery.js';
import type { Dispatcher } from '../../bot/dispatcher.js';
import { deliveryQueue } from '../../bot/outbox.js';
import type { Store } from '../../bot/store/types.js';
import { createTelegramChannel, type TelegramChannel, type TelegramChannelOptions } from '../../channels/telegram/channel.js';
import type { FetchFile } from '../../channels/telegram/files.js';
import { createDeskCore } from './desk.js';

export const BOT_INFO: UserFromGetMe = {
  id: 7_000_000_001,
  is_bot: true,
  first_name: 'SIRATU',
  username: 'SiratuPaluBot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
} as UserFromGetMe;

export const TOKEN = '7000000001:AAtestTokenForSiratuTelegramTests_00';

// ---------------------------------------------------------------- updates

let nextUpdateId = 100_000;
const nextMessageIds = new Map<number, number>();

export interface Citizen {
  chatId: number;
  firstName: string;
  lastName?: string;
}

function baseMessage(citizen: Citizen, messageId?: number): Omit<Message, 'text'> {
  const id = messageId ?? (nextMessageIds.get(citizen.chatId) ?? 0) + 1;
  nextMessageIds.set(citizen.chatId, Math.max(id, nextMessageIds.get(citizen.chatId) ?? 0));
  const user = { id: citizen.chatId, is_bot: false, first_name: citizen.firstName, last_name: citizen.lastName, language_code: 'id' };
  return {
    message_id: id,
    from: user,
    chat: { id: citizen.chatId, type: 'private', first_name: citizen.firstName, last_name: citizen.lastName },
    date: Math.floor(Date.now() / 1000),
  } as Omit<Message, 'text'>;
}

export function update(message: Partial<Message> & Pick<Message, 'message_id' | 'chat' | 'date'>, updateId = nextUpdateId++): Update {
  return { update_id: updateId, message } as Update;
}

export const tg = {
  text(citizen: Citizen, text: string, messageId?: number): Update {
    return update({ ...baseMessage(citizen, messageId), text } as Message);
  },
  /** `/menu` and friends: Telegram marks the command with a bot_command entity. */
  command(citizen: Citizen, text: string): Update {
    const length = text.split(/\s/u)[0]!.length;
    return update({ ...baseMessage(citizen), text, entities: [{ type: 'bot_command', offset: 0, length }] } as Message);
  },
  /** A photo as Telegram sends it: several sizes, smallest first. */
  photo(citizen: Citizen, caption?: string): Update {
    const sizes = [
      { file_id: 'AgAC-small', file_unique_id: 'u-small', width: 90, height: 67, file_size: 1_200 },
      { file_id: 'AgAC-medium', file_unique_id: 'u-medium', width: 320, height: 240, file_size: 14_000 },
      { file_id: 'AgAC-large', file_unique_id: 'u-large', width: 1280, height: 960, file_size: 120_000 },
    ];
    return update({ ...baseMessage(citizen), photo: sizes, ...(caption ? { caption } : {}) } as Message);
  },
  document(citizen: Citizen, document: { fileId: string; fileName: string; mimeType: string; size: number }, caption?: string): Update {
    return update({
      ...baseMessage(citizen),
      document: { file_id: document.fileId, file_unique_id: `u-${document.fileId}`, file_name: document.fileName, mime_type: document.mimeType, file_size: document.size },
      ...(caption ? { caption } : {}),
    } as Message);
  },
  voice(citizen: Citizen): Update {
    return update({ ...baseMessage(citizen), voice: { file_id: 'AwAC-voice', file_unique_id: 'u-voice', duration: 4, mime_type: 'audio/ogg', file_size: 9_000 } } as Message);
  },
  location(citizen: Citizen): Update {
    return update({ ...baseMessage(citizen), location: { latitude: -0.8917, longitude: 119.8707 } } as Message);
  },
  sticker(citizen: Citizen): Update {
    return update({
      ...baseMessage(citizen),
      sticker: { file_id: 'CAAC', file_unique_id: 'u-st', type: 'regular', width: 512, height: 512, is_animated: false, is_video: false, emoji: '👍' },
    } as Message);
  },
  /** A message in a group the bot was added to. */
  group(citizen: Citizen, text: string): Update {
    const message = baseMessage(citizen);
    return update({ ...message, chat: { id: -1_001_234_567_890, type: 'supergroup', title: 'Warga Palu' }, text } as Message);
  },
  /** A post in a channel the bot administers (arrives as `channel_post`, not `message`). */
  channelPost(text: string): Update {
    return { update_id: nextUpdateId++, channel_post: { message_id: 5, chat: { id: -1_009_876_543_210, type: 'channel', title: 'Info Dukcapil' }, date: Math.floor(Date.now() / 1000), text } } as Update;
  },
};

// ---------------------------------------------------------------- bytes

/** The first bytes of a JPEG (enough for the magic-byte check) plus filler. */
export function jpegBytes(size = 2048): Buffer {
  const data = Buffer.alloc(size, 0x11);
  data.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00], 0);
  data.set([0xff, 0xd9], size - 2);
  return data;
}

export function pdfBytes(): Buffer {
  return Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
}

// ---------------------------------------------------------------- the channel with a captured Bot API

export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
}

/** What the fake Bot API answers: `undefined` falls through to the default (success). */
export type Responder = (call: ApiCall) => { ok: false; error_code: number; description: string; parameters?: Record<string, unknown> } | { ok: true; result: unknown } | Error | undefined;

export interface TelegramDesk {
  store: Store;
  dispatcher: Dispatcher;
  channel: TelegramChannel;
  sender: ChannelSender;
  /** Every Bot API call the channel made, in order. */
  calls: ApiCall[];
  /** sendMessage calls only. */
  sent(chatId?: number): ApiCall[];
  /** Overrides the fake Bot API's answers (errors, file paths). */
  respond: { with?: Responder };
  /** Files the fake file server was asked for. */
  fileRequests: string[];
  /** Feeds an update to the bot and waits until its replies went out. */
  handle(update: Update): Promise<void>;
  /** Waits for deliveries in flight. */
  flush(): Promise<void>;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function createTelegramDesk(options: { files?: Record<string, Buffer>; webhook?: TelegramChannelOptions['webhook'] } = {}): Promise<TelegramDesk> {
  const { store, queue, outbox, dispatcher, log, logs, remove } = await createDeskCore('siratu-telegram-');

  // The file server half of the Bot API: `${apiRoot}/file/bot<token>/<path>`.
  const files = options.files ?? {};
  const fileRequests: string[] = [];
  const fetchFile: FetchFile = async (url) => {
    fileRequests.push(url);
    const path = url.split(`/file/bot${TOKEN}/`)[1] ?? '';
    const data = files[path];
    return data ? new Response(new Uint8Array(data), { status: 200, headers: { 'Content-Length': String(data.length) } }) : new Response('Not Found', { status: 404 });
  };

  const channel = createTelegramChannel({ token: TOKEN, apiRoot: 'http://bot-api.invalid', webhook: options.webhook, dispatcher, store, log, botInfo: BOT_INFO, fetchFile });
  const calls: ApiCall[] = [];
  const respond: TelegramDesk['respond'] = {};
  let messageId = 1;
  channel.bot.api.config.use(async (_prev, method, payload) => {
    const call = { method, payload: payload as Record<string, unknown> };
    calls.push(call);
    const answer = respond.with?.(call);
    if (answer instanceof Error) throw answer;
    if (answer) return answer as never;
    switch (method) {
      case 'sendPhoto':
      case 'sendDocument':
      case 'sendMessage': {
        const p = payload as { chat_id: number | string; text: string };
        return { ok: true, result: { message_id: messageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(p.chat_id), type: 'private' }, text: p.text } } as never;
      }
      case 'getFile': {
        const fileId = (payload as { file_id: string }).file_id;
        const path = Object.keys(files).find((key) => key.includes(fileId));
        return { ok: true, result: { file_id: fileId, file_unique_id: `u-${fileId}`, file_size: path ? files[path]!.length : undefined, file_path: path } } as never;
      }
      default:
        return { ok: true, result: true } as never;
    }
  });

  outbox.register(channel.sender);
  outbox.start();

  /** Until every queued delivery is sent or failed for good. */
  const flush = async () => {
    for (let round = 0; round < 1000; round++) {
      const counts = await queue.counts(deliveryQueue('telegram'));
      if (counts.waiting + counts.active + counts.delayed === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('deliveries did not finish');
  };

  return {
    store,
    dispatcher,
    channel,
    sender: channel.sender,
    calls,
    sent: (chatId) => calls.filter((call) => call.method === 'sendMessage' && (chatId === undefined || Number(call.payload.chat_id) === chatId)),
    respond,
    fileRequests,
    async handle(u) {
      await channel.bot.handleUpdate(u);
      await flush();
    },
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

/** The reply keyboard's button texts of a sendMessage call ([] when it removes the keyboard). */
export function buttons(call: ApiCall): string[] {
  const markup = call.payload.reply_markup as { keyboard?: { text: string }[][]; remove_keyboard?: boolean } | undefined;
  return (markup?.keyboard ?? []).map((row) => row.map((button) => button.text).join(' | '));
}
