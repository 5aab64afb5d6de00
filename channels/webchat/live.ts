/**
 * Live delivery over Server-Sent Events. The channel registers ONE listener
 * on the dispatcher's `message` event and fans messages out to the open
 * streams of the contact they belong to, so a thousand open browser tabs do
 * not mean a thousand listeners on the dispatcher.
 *
 * A stream resumes without gaps: every event carries the message id as its
 * SSE `id:`, and a reconnecting EventSource sends it back as Last-Event-ID;
 * whatever was stored after it is read from the store first, then live
 * events continue (duplicates between the two are dropped).
 */
import type { Response } from 'express';
import type { EventBus } from '../../bot/bus.js';
import type { Message, Store } from '../../bot/store/types.js';
import { encodeMessage } from './encode.js';

export const HEARTBEAT_MS = 25_000;
/** How long EventSource waits before reconnecting after a drop. */
const RETRY_MS = 3_000;
const CATCH_UP_PAGE = 200;
const CATCH_UP_MAX = 1_000;

type Listener = (message: Message) => void;

export class LiveHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(events: EventBus) {
    events.on('message', (message) => {
      if (message.channel !== 'web') return;
      for (const listener of this.listeners.get(message.contactId) ?? []) listener(message);
    });
  }

  subscribe(contactId: string, listener: Listener): () => void {
    let set = this.listeners.get(contactId);
    if (!set) this.listeners.set(contactId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(contactId) === set) this.listeners.delete(contactId);
    };
  }

  /** Open streams, for tests and metrics. */
  get streams(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
}

/** Serves one SSE stream for a contact until the client goes away. */
export async function streamMessages(options: { res: Response; hub: LiveHub; store: Store; contactId: string; after?: string }): Promise<void> {
  const { res, hub, store, contactId, after } = options;
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // Tells nginx not to buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: ${RETRY_MS}\n\n`);

  const sent = new Set<string>();
  const send = (message: Message) => {
    if (sent.has(message.id) || res.writableEnded) return;
    sent.add(message.id);
    if (sent.size > 5_000) sent.delete(sent.values().next().value!);
    res.write(`id: ${message.id}\ndata: ${JSON.stringify(encodeMessage(message))}\n\n`);
  };

  // Subscribe first and hold live messages while catching up, so nothing stored in between is lost.
  let held: Message[] | null = [];
  const unsubscribe = hub.subscribe(contactId, (message) => (held ? held.push(message) : send(message)));
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  let closed = false;
  res.on('close', () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
  });

  try {
    if (after) {
      let cursor = after;
      for (let total = 0; total < CATCH_UP_MAX && !closed; ) {
        const page = await store.messages.listForContact(contactId, { afterId: cursor, limit: CATCH_UP_PAGE });
        page.forEach(send);
        total += page.length;
        if (page.length < CATCH_UP_PAGE) break;
        cursor = page.at(-1)!.id;
      }
    }
  } finally {
    const pending = held;
    held = null;
    pending.forEach(send);
  }
}
