/**
 * Live events across instances: two buses on the real local Redis stand for
 * two app instances. What one emits, the other hears (dates intact), and it
 * keeps working after the Redis connection drops and comes back.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createRedisBus, type EventBus } from '../bot/bus.js';
import { createLogger } from '../bot/log.js';
import type { Conversation } from '../bot/store/types.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = createLogger({ level: 'silent' });
const buses: EventBus[] = [];
afterAll(async () => {
  for (const bus of buses) await bus.close();
});

const conversation = (id: string): Conversation =>
  ({ id, state: 'waiting', handoffRequestedAt: new Date('2026-11-24T02:00:00Z'), labels: [] }) as unknown as Conversation;

const next = (bus: EventBus) => new Promise<Conversation>((resolve) => bus.once('conversation', resolve));

describe('the event bus on Redis', () => {
  it('an event emitted on one instance reaches the other, with its dates, and not itself twice', async () => {
    const a = await createRedisBus(REDIS_URL, log);
    const b = await createRedisBus(REDIS_URL, log);
    buses.push(a, b);
    let heardByA = 0;
    a.on('conversation', () => heardByA++);
    const received = next(b);
    a.emit('conversation', conversation('c-1'));
    const event = await received;
    expect(event.id).toBe('c-1');
    expect(event.handoffRequestedAt).toEqual(new Date('2026-11-24T02:00:00Z'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heardByA).toBe(1); // its own emit, not echoed back from Redis
  });

  it('keeps delivering after the Redis connections are dropped and come back', async () => {
    const a = await createRedisBus(REDIS_URL, log);
    const b = await createRedisBus(REDIS_URL, log);
    buses.push(a, b);
    // Drop the buses' connections, as a Redis restart would (only ours: other test files share this Redis).
    const admin = new Redis(REDIS_URL);
    const clients = String(await admin.client('LIST'))
      .split('\n')
      .filter((line) => / name=siratu-bus-/u.test(line))
      .map((line) => /\bid=(\d+)/u.exec(line)![1]!);
    expect(clients.length).toBeGreaterThanOrEqual(4);
    for (const id of clients) await admin.client('KILL', 'ID', id);
    await admin.quit();
    let event: Conversation | undefined;
    for (let attempt = 0; attempt < 50 && !event; attempt++) {
      const received = next(b);
      a.emit('conversation', conversation(`c-after-${attempt}`));
      event = await Promise.race([received, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))]);
    }
    expect(event?.id).toMatch(/^c-after-/u);
  });
});
