/**
 * The engine's vocabulary. A channel turns a platform event into an
 * `Inbound`, the engine answers with `Reply` objects, and the channel encodes
 * them for its platform. Nothing here knows about any particular channel.
 */

/** Where a citizen talks to us. New channels add a name here and an adapter under channels/. */
export type ChannelName = 'web' | 'telegram' | 'whatsapp';
export const CHANNELS: readonly ChannelName[] = ['web', 'telegram', 'whatsapp'];

/** A file the citizen sent: already saved by the channel adapter, referenced by its storage key. */
export interface Attachment {
  kind: 'image' | 'document' | 'audio' | 'video' | 'other';
  /** Storage key of the saved file (see bot/files.ts). */
  key: string;
  fileName?: string;
  mimeType?: string;
  size?: number;
}

/** Content a channel received but the engine cannot read (it answers with a polite "please type it"). */
export type UnreadableKind = 'voice' | 'video' | 'location' | 'sticker' | 'contact' | 'fileType' | 'fileTooLarge' | 'downloadFailed' | 'other';

/** One citizen message, decoded by a channel. */
export interface Inbound {
  channel: ChannelName;
  /** The citizen's identity on that channel (web session id, Telegram chat id, WhatsApp JID). */
  senderId: string;
  text: string;
  attachments?: Attachment[];
  /** The platform's own id for the message: redeliveries with the same id are ignored. */
  platformMessageId?: string;
  /** Display name the platform tells us, if any. */
  senderName?: string;
  /** When the platform says the message was sent (defaults to now). */
  sentAt?: Date;
  /** What the citizen sent instead of readable text, if anything (the text then only describes it). */
  unreadable?: UnreadableKind;
  /**
   * The message reached us hours after it was sent (the channel was disconnected): it is not
   * answered blindly, a human reads it (the channel decides what counts as late).
   */
  late?: boolean;
}

/** `notice`: about the service itself, not an answer (e.g. "too many messages, please wait"). */
export type ReplyKind = 'answer' | 'menu' | 'greeting' | 'thanks' | 'fallback' | 'complaint' | 'status' | 'handoff' | 'notice';

/** A tappable choice. Channels without buttons show them as a numbered list. */
export interface ReplyOption {
  /** What the citizen sees, e.g. "KTP-el". */
  label: string;
  /** What the engine receives when it is chosen (channels send it back as the message text). */
  value: string;
}

export interface Reply {
  kind: ReplyKind;
  text: string;
  options?: ReplyOption[];
  /** The knowledge-base entry the reply answers from, if any. */
  entry?: string;
  /** How sure the engine was (0..1) when it chose the entry. */
  confidence?: number;
}
