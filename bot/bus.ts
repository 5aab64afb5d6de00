/**
 * Live events between the parts of the product: a message was stored, a
 * conversation changed hands, a ticket moved. The web chat's stream and the
 * agents' inbox listen here. In one process this is an EventEmitter; with
 * REDIS_URL every emit is also published on Redis, so a citizen connected to
 * one instance sees the reply an agent typed on another (Chatwoot's live
 * updates silently stopped after a Redis restart: ioredis resubscribes on
 * reconnect, and tests/bus.test.ts restarts the connection to prove it).
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from './log.js';
import type { Conversation, Message, Ticket } from './store/types.js';

export interface HelpdeskEvents {
  /** A message was stored, inbound or outbound, with the conversation it belongs to. */
  message: [message: Message, conversation: Conversation];
  /** A conversation changed state or owner (bot, waiting, agent, closed). */
  conversation: [conversation: Conversation];
  /** A ticket was created or changed. */
  ticket: [ticket: Ticket];
  /** The knowledge base or office profile was published: every instance reloads it now. */
  knowledge: [];
}

export type EventBus = EventEmitter<HelpdeskEvents> & {
  /** Stops publishing and listening across instances. */
  close(): Promise<void>;
};

export function createLocalBus(): EventBus {
  const bus = new EventEmitter<HelpdeskEvents>() as EventBus;
  bus.setMaxListeners(0); // one listener per open browser stream
  bus.close = async () => undefined;
  return bus;
}

/** Dates survive the trip through JSON as {$date: ISO}. */
function encode(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, encode(item)]));
  return value;
}

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.$date === 'string' && Object.keys(record).length === 1) return new Date(record.$date);
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, decode(item)]));
  }
  return value;
}

const CHANNEL = 'siratu:events';

/** A bus shared by every instance through Redis pub/sub. */
export async function createRedisBus(redisUrl: string, log: Pick<Logger, 'warn' | 'error'>): Promise<EventBus> {
  const origin = randomUUID();
  // Named, so operators (and tests) can tell these connections apart in CLIENT LIST.
  const publisher = new Redis(redisUrl, { maxRetriesPerRequest: 2, connectionName: `siratu-bus-pub-${origin}` });
  const subscriber = new Redis(redisUrl, { connectionName: `siratu-bus-sub-${origin}` });
  for (const client of [publisher, subscriber]) client.on('error', (error: unknown) => log.warn({ err: error }, 'event bus: redis error'));
  const bus = createLocalBus();
  const localEmit = bus.emit.bind(bus) as (event: keyof HelpdeskEvents, ...args: unknown[]) => boolean;

  subscriber.on('message', (_channel: string, raw: string) => {
    try {
      const { from, event, args } = JSON.parse(raw) as { from: string; event: keyof HelpdeskEvents; args: unknown[] };
      if (from !== origin) localEmit(event, ...(decode(args) as unknown[]));
    } catch (error) {
      log.error({ err: error }, 'event bus: unreadable event');
    }
  });
  await subscriber.subscribe(CHANNEL);

  (bus as unknown as { emit: typeof localEmit }).emit = (event, ...args) => {
    const handled = localEmit(event, ...args);
    publisher.publish(CHANNEL, JSON.stringify({ from: origin, event, args: encode(args) })).catch((error: unknown) => log.warn({ err: error, event }, 'event bus: publish failed'));
    return handled;
  };
  bus.close = async () => {
    await Promise.all([subscriber.quit().catch(() => undefined), publisher.quit().catch(() => undefined)]);
  };
  return bus;
}
