/**
 * The one delivery path for every outbound message on channels that push
 * (Telegram, WhatsApp): bot replies, agents' replies, notifications.
 *
 *   deliver(message)   the message is already stored; its delivery state
 *                      becomes `pending` and a job is queued (idempotent:
 *                      job id = message id)
 *   worker             encodes the message for its channel, sends the parts
 *                      not yet sent, records each platform id, retries with
 *                      backoff, respects the channel's rate limit, and marks
 *                      the message `failed` (visible to admins) when it gives up
 *
 * The web chat does not push: its browser reads the stored messages over SSE,
 * so web messages never enter this path.
 */
import type { Attachment, ChannelName, ReplyOption } from './types.js';
import type { Message } from './store/types.js';

/** What a channel can show: the engine's replies are adapted to it, never the other way round. */
export interface ChannelCapabilities {
  /** Tappable options (keyboards); without them options become a numbered list in the text. */
  buttons: boolean;
  /** Longest text one platform message may carry; longer replies are split at paragraph breaks. */
  maxTextLength: number;
  /** How *bold* and _italic_ are written on the platform. */
  markup: 'whatsapp' | 'telegram-html' | 'plain';
}

/** One platform message of an outbound message. */
export interface OutboundPart {
  text: string;
  /** Only on the last part, and only where the channel has buttons. */
  options?: ReplyOption[];
  /** A file to send (an agent's photo or document); its bytes are in store.files under `key`. */
  attachment?: Attachment;
}

/** A channel's sending side, registered with the outbox by the composition root. */
export interface ChannelSender {
  readonly channel: ChannelName;
  readonly capabilities: ChannelCapabilities;
  /** Sends at most this many messages per second (platform limits, ban risk). */
  readonly ratePerSecond: number;
  /** The platform messages for a stored outbound message, in order. */
  encode(message: Message): OutboundPart[];
  /**
   * Sends one part to a citizen (`to` = their id on the channel). Resolves with the
   * platform's id of the message. Throws PermanentJobError when retrying cannot help.
   * `idempotencyKey` is stable across retries of the same part: platforms that accept
   * a client-chosen message id use it so a retry after a crash is not shown twice.
   */
  send(to: string, part: OutboundPart, idempotencyKey: string): Promise<{ platformMessageId?: string }>;
  /**
   * Whether this process can send right now (WhatsApp: only the instance holding an open
   * connection). When present, the outbox works the channel's queue only while it is true,
   * so deliveries wait for a connection instead of using up their attempts.
   */
  available?(): boolean;
  onAvailabilityChange?(listener: (available: boolean) => void): void;
}

/** What the dispatcher and the inbox need from the delivery path. */
export interface Outbox {
  /** Channels with a registered sender (the others are not pushed to). */
  pushes(channel: ChannelName): boolean;
  /** Queues a stored outbound message for delivery to `to` on its channel. Idempotent per message. */
  deliver(message: Message, to: string): Promise<void>;
}
