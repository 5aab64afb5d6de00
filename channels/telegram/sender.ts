/**
 * Outbound half of the Telegram adapter: the ChannelSender the outbox uses.
 * Replies are HTML (the engine's *bold* and _italic_ converted by the shared
 * encoder), options become a reply keyboard with one button per row whose
 * text is the option's label, and Telegram's errors are sorted into "retry
 * later" and "retrying cannot help" for the queue.
 */
import { GrammyError, HttpError, InputFile, type Api } from 'grammy';
import type { ReplyKeyboardMarkup, ReplyKeyboardRemove } from 'grammy/types';
import type { ChannelCapabilities, ChannelSender, OutboundPart } from '../../bot/delivery.js';
import { PermanentJobError } from '../../bot/queue/types.js';
import type { FileRepository, Message } from '../../bot/store/types.js';
import { encodeForChannel } from '../encode.js';

export const TELEGRAM_CAPABILITIES: ChannelCapabilities = { buttons: true, maxTextLength: 4096, markup: 'telegram-html' };
/** Telegram allows about 30 messages per second per bot; we stay below. */
export const TELEGRAM_RATE_PER_SECOND = 25;
/** A 429 asking us to wait at most this long is waited out in place (once); longer waits go back to the queue. */
const MAX_INLINE_RETRY_AFTER_S = 5;

/** Telegram asked us to slow down (429). `retryAfterMs` is its advice; the message is retried by the queue. */
export class TelegramRateLimitError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'TelegramRateLimitError';
  }
}

/** The reply keyboard for a part: the options as buttons, or none (an old keyboard would offer stale choices). */
export function replyMarkup(part: OutboundPart): ReplyKeyboardMarkup | ReplyKeyboardRemove {
  if (!part.options?.length) return { remove_keyboard: true };
  return {
    keyboard: part.options.map((option) => [{ text: option.label }]),
    resize_keyboard: true,
    one_time_keyboard: true,
    input_field_placeholder: 'Pilih atau ketik pertanyaan…',
  };
}

/** The text without HTML, for a message Telegram refused to parse. */
function plainText(html: string): string {
  return html.replace(/<[^>]+>/gu, '').replace(/&lt;/gu, '<').replace(/&gt;/gu, '>').replace(/&amp;/gu, '&');
}

/**
 * Sorts a failed Bot API call: the citizen blocked the bot, deleted their
 * account or the chat does not exist → PermanentJobError (the message is
 * marked failed at once); 429 → TelegramRateLimitError; network errors and
 * 5xx → the error as is (retried with backoff).
 */
export function mapTelegramError(error: unknown): Error {
  if (error instanceof GrammyError) {
    const description = `Telegram ${error.error_code}: ${error.description}`;
    if (error.error_code === 403) return new PermanentJobError(description);
    if (error.error_code === 429) {
      const seconds = error.parameters?.retry_after;
      return new TelegramRateLimitError(description, seconds === undefined ? undefined : seconds * 1000);
    }
    // Any other 400 (chat not found, message too long, bad request) fails the same way every time.
    if (error.error_code === 400) return new PermanentJobError(description);
    return new Error(description);
  }
  if (error instanceof HttpError) return new Error(`Telegram unreachable: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}

const isParseError = (error: unknown) => error instanceof GrammyError && error.error_code === 400 && /can't parse entities|unsupported start tag|can't find end tag/iu.test(error.description);

export function createTelegramSender(
  api: Api,
  options: { sleep?: (ms: number) => Promise<void>; files?: Pick<FileRepository, 'get'> } = {},
): ChannelSender {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** An agent's photo or document, from the store. */
  const sendFile = async (chatId: string, attachment: NonNullable<OutboundPart['attachment']>) => {
    const file = await options.files?.get(attachment.key);
    if (!file) throw new PermanentJobError(`attachment ${attachment.key} is not stored`);
    const input = new InputFile(file.data, attachment.fileName ?? file.fileName ?? 'lampiran');
    return attachment.kind === 'image' ? api.sendPhoto(chatId, input) : api.sendDocument(chatId, input);
  };

  const sendOnce = async (chatId: string, part: OutboundPart) => {
    if (part.attachment) return sendFile(chatId, part.attachment);
    const reply_markup = replyMarkup(part);
    try {
      return await api.sendMessage(chatId, part.text, { parse_mode: 'HTML', reply_markup, link_preview_options: { is_disabled: true } });
    } catch (error) {
      // A split message can cut a <b>…</b> in two: the citizen gets the words without the bold rather than nothing.
      if (isParseError(error)) return api.sendMessage(chatId, plainText(part.text), { reply_markup, link_preview_options: { is_disabled: true } });
      throw error;
    }
  };

  return {
    channel: 'telegram',
    capabilities: TELEGRAM_CAPABILITIES,
    ratePerSecond: TELEGRAM_RATE_PER_SECOND,
    encode(message: Message): OutboundPart[] {
      return encodeForChannel(message, TELEGRAM_CAPABILITIES);
    },
    // Telegram has no client-chosen message id, so idempotencyKey cannot be passed on.
    async send(to, part, _idempotencyKey) {
      let sent;
      try {
        sent = await sendOnce(to, part);
      } catch (error) {
        const mapped = mapTelegramError(error);
        const wait = mapped instanceof TelegramRateLimitError ? mapped.retryAfterMs : undefined;
        if (wait === undefined || wait > MAX_INLINE_RETRY_AFTER_S * 1000) throw mapped;
        await sleep(wait);
        try {
          sent = await sendOnce(to, part);
        } catch (again) {
          throw mapTelegramError(again);
        }
      }
      return { platformMessageId: `${sent.chat.id}:${sent.message_id}` };
    },
  };
}
