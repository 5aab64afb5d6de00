/**
 * What one instance tells Prometheus (GET /metrics, scripts/operations.ts):
 *
 *   siratu_messages_in_total{channel}           citizens' messages accepted
 *   siratu_messages_out_total{channel,author}   messages to citizens (bot, agent, system)
 *   siratu_reply_latency_seconds{channel}       message accepted → bot replies committed
 *   siratu_queue_jobs{queue,state}              background jobs by state (shared queues: every instance reports the same)
 *   siratu_tickets{status}, siratu_tickets_open tickets now (from the shared store)
 *   siratu_process_*, siratu_nodejs_*           memory, CPU, event-loop lag (prom-client defaults)
 *
 * Counters are per instance (sum them over instances); the gauges read the
 * shared store and queues when scraped, so they agree across instances.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from './queue/types.js';
import { TICKET_STATUSES, type MessageAuthor, type Store, type TicketStatus } from './store/types.js';
import type { ChannelName } from './types.js';

/** Tickets a citizen is still waiting on. */
const OPEN_STATUSES: TicketStatus[] = ['baru', 'diproses', 'menunggu_warga'];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** What the dispatcher records as messages pass (bot/dispatcher.ts). */
export interface MessageMetrics {
  received(channel: ChannelName): void;
  sent(channel: ChannelName, author: Exclude<MessageAuthor, 'citizen'>, count?: number): void;
  /** Seconds from accepting a citizen's message to having the bot's replies committed. */
  replied(channel: ChannelName, seconds: number): void;
}

export interface Metrics extends MessageMetrics {
  readonly contentType: string;
  /** The text exposition Prometheus scrapes. */
  render(): Promise<string>;
}

export function createMetrics(deps: { store: Store; queue: JobQueue }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'siratu_' });
  const registers = [registry];

  const messagesIn = new Counter({ name: 'siratu_messages_in_total', help: "Citizens' messages accepted, by channel", labelNames: ['channel'], registers });
  const messagesOut = new Counter({
    name: 'siratu_messages_out_total',
    help: 'Messages to citizens, by channel and author (bot, agent, system)',
    labelNames: ['channel', 'author'],
    registers,
  });
  const replyLatency = new Histogram({
    name: 'siratu_reply_latency_seconds',
    help: "From accepting a citizen's message to the bot's replies committed",
    labelNames: ['channel'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  new Gauge({
    name: 'siratu_queue_jobs',
    help: 'Background jobs by queue and state',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const name of deps.queue.names()) {
        const counts = await deps.queue.counts(name);
        for (const state of QUEUE_STATES) this.set({ queue: name, state }, counts[state]);
      }
    },
  });
  const tickets = new Gauge({ name: 'siratu_tickets', help: 'Tickets by status', labelNames: ['status'], registers });
  const openTickets = new Gauge({ name: 'siratu_tickets_open', help: 'Tickets not yet finished (baru, diproses, menunggu_warga)', registers });

  return {
    contentType: registry.contentType,
    received: (channel) => messagesIn.inc({ channel }),
    sent: (channel, author, count = 1) => messagesOut.inc({ channel, author }, count),
    replied: (channel, seconds) => replyLatency.observe({ channel }, seconds),
    async render() {
      // One store query for both ticket gauges (a collect() per gauge would ask twice).
      const counts = await deps.store.tickets.countByStatus();
      for (const status of TICKET_STATUSES) tickets.set({ status }, counts[status]);
      openTickets.set(OPEN_STATUSES.reduce((sum, status) => sum + counts[status], 0));
      return registry.metrics();
    },
  };
}
