/**
 * Live updates for the inbox over Server-Sent Events.
 *
 * ONE set of listeners on the event bus per admin area fans out to every
 * open inbox tab (the bus is shared through Redis when several instances
 * run, so an agent on instance A sees a citizen who wrote to instance B).
 * Events are small and carry ids and states only, never message text or
 * personal data: the page asks the normal, access-checked JSON routes for
 * the row or the messages it needs. Ticket events of confidential
 * categories go to supervisors only.
 *
 * While a stream is open the agent counts as online for auto-assignment
 * (Helpdesk.heartbeat every 30 s), and the session is re-checked on the
 * same beat: a signed-out or disabled account's stream ends.
 */
import type { Request, Response } from 'express';
import type { EventBus } from '../../bot/bus.js';
import { complaintCategory } from '../../bot/complaints.js';
import type { Helpdesk } from '../../bot/helpdesk.js';
import type { Logger } from '../../bot/log.js';
import type { User } from '../../bot/store/types.js';
import { hasRole } from '../roles.js';
import type { Sessions } from '../sessions.js';

export type InboxEvent =
  | { type: 'message'; conversationId: string; messageId: string; author: string; state: string; assigneeId: string | null }
  | { type: 'conversation'; conversationId: string; state: string; assigneeId: string | null }
  | { type: 'ticket'; conversationId: string; ticketId: string; confidential: boolean };

type Listener = (event: InboxEvent) => void;

export const PING_MS = 25_000;
export const BEAT_MS = 30_000;
const RETRY_MS = 3_000;

export class InboxHub {
  private readonly listeners = new Set<Listener>();

  constructor(events: EventBus) {
    events.on('message', (message, conversation) =>
      this.publish({ type: 'message', conversationId: message.conversationId, messageId: message.id, author: message.author, state: conversation.state, assigneeId: conversation.assigneeId }),
    );
    events.on('conversation', (conversation) => this.publish({ type: 'conversation', conversationId: conversation.id, state: conversation.state, assigneeId: conversation.assigneeId }));
    events.on('ticket', (ticket) =>
      this.publish({ type: 'ticket', conversationId: ticket.conversationId, ticketId: ticket.id, confidential: Boolean(complaintCategory(ticket.category)?.confidential) }),
    );
  }

  private publish(event: InboxEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get streams(): number {
    return this.listeners.size;
  }
}

/** What one user's stream carries of an event (undefined: nothing). */
export function eventFor(user: User, event: InboxEvent): Record<string, unknown> | undefined {
  if (event.type === 'ticket') {
    if (event.confidential && !hasRole(user.role, 'supervisor')) return undefined;
    return { type: 'ticket', conversationId: event.conversationId, ticketId: event.ticketId };
  }
  return { ...event, mine: event.assigneeId === user.id };
}

export function serveInboxStream(options: { req: Request; res: Response; user: User; hub: InboxHub; helpdesk: Helpdesk; sessions: Sessions; log: Pick<Logger, 'warn'> }): void {
  const { req, res, user, hub, helpdesk, sessions, log } = options;
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-store, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: ${RETRY_MS}\n\n`);
  res.write(`event: hello\ndata: ${JSON.stringify({ userId: user.id })}\n\n`);

  let closed = false;
  const write = (chunk: string) => {
    if (!closed && !res.writableEnded) res.write(chunk);
  };
  const unsubscribe = hub.subscribe((event) => {
    const data = eventFor(user, event);
    if (data) write(`data: ${JSON.stringify(data)}\n\n`);
  });
  const beat = () => helpdesk.heartbeat(user).catch((error: unknown) => log.warn({ err: error }, 'inbox: heartbeat failed'));
  void beat();
  const ping = setInterval(() => write(': ping\n\n'), PING_MS);
  const check = setInterval(() => {
    void sessions
      .read(req)
      .then((signed) => {
        if (!signed || signed.session.pendingTotp || signed.user.id !== user.id || signed.user.disabled) {
          write('event: bye\ndata: {}\n\n');
          res.end();
          return;
        }
        return beat();
      })
      .catch((error: unknown) => log.warn({ err: error }, 'inbox: session check failed'));
  }, BEAT_MS);
  res.on('close', () => {
    closed = true;
    clearInterval(ping);
    clearInterval(check);
    unsubscribe();
  });
}
