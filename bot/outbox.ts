/**
 * The outbox: the delivery path of bot/delivery.ts on top of the queue
 * layer. One queue per channel (`deliver:<channel>`), one job per message
 * (job id = message id, so queueing twice is a no-op).
 *
 * Progress is recorded on the message itself after every part the platform
 * accepts, so a retry (or another worker after a crash) resumes with the
 * first part not yet accepted. The one window left is between a platform
 * accepting a part and that record being written: a crash exactly there
 * sends that part again on retry, with the same idempotency key
 * (`<message id>:<part>`), which platforms that take a client id use to drop
 * the duplicate. Everywhere else a message is sent exactly once.
 */
import type { ChannelSender, Outbox } from './delivery.js';
import type { Logger } from './log.js';
import { maskPersonalData } from './personal-data.js';
import { PermanentJobError, type JobQueue, type QueueJob, type RateLimit, type RateLimiter } from './queue/types.js';
import type { DeliveryState, Message, Store } from './store/types.js';
import type { ChannelName } from './types.js';

export interface OutboxOptions {
  store: Store;
  queue: JobQueue;
  log: Pick<Logger, 'warn' | 'error'>;
  /** Send attempts per message before it is marked failed (default 6: about 2 minutes with the default backoff). */
  attempts?: number;
  /** Base of the exponential backoff between attempts (default 2000 ms: 2, 6, 14, 30, 62 s). */
  backoffMs?: number;
  /**
   * Messages sent at once per channel in this process (default 1). One at a
   * time keeps a citizen's replies in the order they were written.
   */
  concurrency?: number;
}

export interface DeliveryJob {
  messageId: string;
  /** The citizen's id on the channel. */
  to: string;
}

export interface RunningOutbox extends Outbox {
  /**
   * An admin's "send again" for a message whose delivery failed: it goes back on its way,
   * resuming after the parts already accepted. False if the message is not failed.
   */
  retry(messageId: string): Promise<boolean>;
  /** Adds a channel's sending side; its worker starts with start() (or at once if already started). */
  register(sender: ChannelSender): void;
  /** Starts the workers of the registered channels. */
  start(): void;
}

export const deliveryQueue = (channel: ChannelName) => `deliver:${channel}`;

const describe = (error: unknown) => maskPersonalData(error instanceof Error ? error.message : String(error)).slice(0, 500);

/** A platform limit in messages per second as the queue's rate limit (fractions become a longer window). */
export function rateLimitOf(ratePerSecond: number): RateLimit | undefined {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) return undefined;
  return ratePerSecond >= 1 ? { max: Math.floor(ratePerSecond), durationMs: 1000 } : { max: 1, durationMs: Math.ceil(1000 / ratePerSecond) };
}

export function createOutbox(options: OutboxOptions): RunningOutbox {
  const { store, queue, log } = options;
  const senders = new Map<ChannelName, ChannelSender>();
  let started = false;

  const fresh = (): DeliveryState => ({ status: 'pending', attempts: 0, sentParts: 0, platformMessageIds: [], updatedAt: new Date() });

  /** One attempt: send the parts not yet accepted, recording each one as soon as it is. */
  async function send(sender: ChannelSender, job: QueueJob<DeliveryJob>, limiter: RateLimiter | undefined): Promise<void> {
    const message = await store.messages.get(job.data.messageId);
    if (!message) throw new PermanentJobError(`message ${job.data.messageId} not found`);
    if (message.delivery?.status === 'sent') return;
    const previous = message.delivery ?? fresh();
    let delivery: DeliveryState = { ...previous, status: 'pending', attempts: previous.attempts + 1, updatedAt: new Date() };
    await store.messages.setDelivery(message.id, delivery);
    const parts = sender.encode(message);
    try {
      for (let index = delivery.sentParts; index < parts.length; index++) {
        await limiter?.acquire();
        const { platformMessageId } = await sender.send(job.data.to, parts[index]!, `${message.id}:${index}`);
        const now = new Date();
        delivery = { ...delivery, sentParts: index + 1, platformMessageIds: [...delivery.platformMessageIds, platformMessageId ?? ''], updatedAt: now };
        if (index === parts.length - 1) delivery = { ...delivery, status: 'sent', sentAt: now };
        await store.messages.setDelivery(message.id, delivery);
      }
      if (delivery.status !== 'sent') await store.messages.setDelivery(message.id, { ...delivery, status: 'sent', sentAt: new Date(), updatedAt: new Date() });
    } catch (error) {
      // The last attempt (or one that cannot succeed) marks the message failed right here, so a crash before
      // the queue's onFailed listener runs cannot leave it pending forever.
      const final = error instanceof PermanentJobError || job.attempt >= job.maxAttempts;
      await store.messages.setDelivery(message.id, { ...delivery, status: final ? 'failed' : 'pending', lastError: describe(error), updatedAt: new Date() });
      throw error;
    }
  }

  /** The queue gave up: the message becomes `failed`, which the admins' list shows. */
  async function markFailed(channel: ChannelName, job: QueueJob<DeliveryJob>, error: Error): Promise<void> {
    const message: Message | null = await store.messages.get(job.data.messageId);
    if (message) {
      await store.messages.setDelivery(message.id, { ...(message.delivery ?? fresh()), status: 'failed', lastError: describe(error), updatedAt: new Date() });
    }
    log.warn({ channel, messageId: job.data.messageId, attempts: message?.delivery?.attempts, error: describe(error) }, 'delivery failed for good');
  }

  const enqueue = (message: Message, to: string, jobId: string) =>
    queue.add<DeliveryJob>(deliveryQueue(message.channel), { messageId: message.id, to }, {
      jobId,
      attempts: options.attempts ?? 6,
      backoffMs: options.backoffMs ?? 2000,
    });

  function startWorker(sender: ChannelSender): void {
    const name = deliveryQueue(sender.channel);
    // Per platform message, not per job: a long message is several sends.
    const limit = rateLimitOf(sender.ratePerSecond);
    const limiter = limit && queue.limiter(name, limit);
    queue.onFailed<DeliveryJob>(name, (job, error) => {
      markFailed(sender.channel, job, error).catch((failure) => log.error({ channel: sender.channel, err: failure }, 'could not mark a delivery failed'));
    });
    if (sender.available && sender.onAvailabilityChange) {
      // Work the queue only while this process can send (WhatsApp: the instance holding the connection).
      const follow = (available: boolean) =>
        (available ? queue.resume(name) : queue.pause(name)).catch((error: unknown) => log.error({ channel: sender.channel, err: error }, 'could not pause/resume deliveries'));
      if (!sender.available()) void follow(false);
      sender.onAvailabilityChange(follow);
    }
    queue.process<DeliveryJob>(name, (job) => send(sender, job, limiter), { concurrency: options.concurrency ?? 1 });
  }

  return {
    pushes(channel) {
      return senders.has(channel);
    },

    async deliver(message, to) {
      if (!senders.has(message.channel)) throw new Error(`no sender registered for channel ${message.channel}`);
      // The stored state decides, not the caller's copy: a message already sent or given up is left alone.
      const stored = await store.messages.get(message.id);
      if (!stored) throw new Error(`message ${message.id} is not stored`);
      if (stored.delivery && stored.delivery.status !== 'pending') return;
      if (!stored.delivery) await store.messages.setDelivery(message.id, fresh());
      await enqueue(message, to, message.id);
    },

    async retry(messageId) {
      const message = await store.messages.get(messageId);
      if (message?.delivery?.status !== 'failed' || !senders.has(message.channel)) return false;
      const conversation = await store.conversations.get(message.conversationId);
      if (!conversation) return false;
      await store.messages.setDelivery(message.id, { ...message.delivery, status: 'pending', updatedAt: new Date() });
      // A new job (the failed one stays in the queue's history); the attempt count in its id makes a double click one retry.
      await enqueue(message, conversation.externalId, `${message.id}:retry:${message.delivery.attempts}`);
      return true;
    },

    register(sender) {
      if (senders.has(sender.channel)) throw new Error(`a sender for ${sender.channel} is already registered`);
      senders.set(sender.channel, sender);
      if (started) startWorker(sender);
    },

    start() {
      if (started) return;
      started = true;
      for (const sender of senders.values()) startWorker(sender);
    },
  };
}
