/**
 * The WhatsApp adapter's sending side: the ChannelSender the outbox calls
 * for every stored outbound message (bot replies, agents' replies).
 *
 *   encode   the engine's reply as WhatsApp text: options become a numbered
 *            list (Baileys cannot send buttons), long text is split
 *   send     one part, paced: at most one message per second for the whole
 *            number, plus a random 0.5–2 s pause with "typing…" before each
 *            one (bursts are what gets numbers banned)
 *
 * Message ids are chosen by us (Baileys' `sendMessage(..., { messageId })`
 * overrides the generated id; see generateWAMessageFromContent in
 * Utils/messages.js): derived from the outbox's idempotency key, so a retry
 * after a crash sends the same id again, and signed, so the inbound side
 * recognises the echo of its own messages (crypto.ts).
 *
 * Only chats whose citizen wrote first are ever sent to (known-chats.ts);
 * anything else fails for good, without a retry.
 */
import type { AnyMessageContent, WASocket } from '@whiskeysockets/baileys';
import type { ChannelCapabilities, ChannelSender, OutboundPart } from '../../bot/delivery.js';
import type { Logger } from '../../bot/log.js';
import { PermanentJobError } from '../../bot/queue/types.js';
import type { FileRepository, Message } from '../../bot/store/types.js';
import { encodeForChannel, WHATSAPP_CAPABILITIES } from '../encode.js';
import type { AuthCipher } from './crypto.js';
import { isPersonalChat } from './decode.js';
import type { KnownChats } from './known-chats.js';

export type SenderSocket = Pick<WASocket, 'sendMessage'> & Partial<Pick<WASocket, 'sendPresenceUpdate'>>;

/** The socket is not connected right now: the outbox retries later. */
export class NotConnectedError extends Error {
  constructor() {
    super('WhatsApp tidak terhubung');
  }
}

export interface WhatsAppSenderDeps {
  /** The open socket, or undefined while disconnected (or on an instance that does not hold the connection). */
  socket: () => SenderSocket | undefined;
  cipher: AuthCipher;
  chats: KnownChats;
  log: Logger;
  /** Where agents' attachments are stored. */
  files?: Pick<FileRepository, 'get'>;
  /** Random pause before each message, in ms (default 500–2000). */
  jitterMs?: [number, number];
  /** Messages per second for the whole number (default 1; tests go faster). */
  ratePerSecond?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class WhatsAppSender implements ChannelSender {
  readonly channel = 'whatsapp' as const;
  readonly capabilities: ChannelCapabilities = WHATSAPP_CAPABILITIES;
  readonly ratePerSecond: number;
  /** Sends run one after another, whatever the outbox's concurrency. */
  private turn: Promise<unknown> = Promise.resolve();
  private open = false;
  private readonly availabilityListeners: ((available: boolean) => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly deps: WhatsAppSenderDeps) {
    this.log = deps.log.child({ channel: 'whatsapp' });
    this.ratePerSecond = deps.ratePerSecond ?? 1;
  }

  /** True while this process holds an open WhatsApp connection: only then does it take delivery jobs. */
  available(): boolean {
    return this.open;
  }

  onAvailabilityChange(listener: (available: boolean) => void): void {
    this.availabilityListeners.push(listener);
  }

  /** Called by the connection when its socket opens or closes. */
  setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    for (const listener of this.availabilityListeners) listener(open);
  }

  encode(message: Message): ReturnType<ChannelSender['encode']> {
    return encodeForChannel(message, this.capabilities);
  }

  /** The id WhatsApp will show for this part (stable across retries). */
  messageIdFor(idempotencyKey: string): string {
    return this.deps.cipher.messageIdFor(idempotencyKey);
  }

  send(to: string, part: OutboundPart, idempotencyKey: string): Promise<{ platformMessageId?: string }> {
    const run = this.turn.catch(() => undefined).then(() => this.sendNow(to, part, idempotencyKey));
    this.turn = run;
    return run;
  }

  private async sendNow(to: string, part: OutboundPart, idempotencyKey: string): Promise<{ platformMessageId?: string }> {
    if (!isPersonalChat(to)) throw new PermanentJobError(`not a personal WhatsApp chat: ${to}`);
    if (!(await this.deps.chats.has(to))) throw new PermanentJobError('this number never wrote to us; WhatsApp messages only go to citizens who wrote first');
    if (!this.deps.socket()) throw new NotConnectedError();
    const [min, max] = this.deps.jitterMs ?? [500, 2000];
    const random = this.deps.random ?? Math.random;
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    await this.presence(this.deps.socket(), 'composing', to);
    await sleep(min + (max - min) * random());
    // The connection may have dropped during the pause.
    const socket = this.deps.socket();
    if (!socket) throw new NotConnectedError();
    const messageId = this.deps.cipher.messageIdFor(idempotencyKey);
    const sent = await socket.sendMessage(to, await this.content(part), { messageId });
    this.log.debug({ messageId }, 'whatsapp message sent');
    return { platformMessageId: sent?.key.id ?? messageId };
  }

  /** Text, or an agent's photo/document from the store. */
  private async content(part: OutboundPart): Promise<AnyMessageContent> {
    if (!part.attachment) return { text: part.text };
    const file = await this.deps.files?.get(part.attachment.key);
    if (!file) throw new PermanentJobError(`attachment ${part.attachment.key} is not stored`);
    if (part.attachment.kind === 'image') return { image: file.data, mimetype: file.mimeType };
    return { document: file.data, mimetype: file.mimeType, fileName: part.attachment.fileName ?? file.fileName ?? 'lampiran' };
  }

  private async presence(socket: SenderSocket | undefined, state: 'composing' | 'paused', jid: string): Promise<void> {
    try {
      await socket?.sendPresenceUpdate?.(state, jid);
    } catch {
      // Typing indicators are a courtesy; never a reason to fail a send.
    }
  }
}
