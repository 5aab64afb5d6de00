/**
 * The unanswered-questions log: every message the bot could not answer from
 * the knowledge base is kept (personal data masked) and grouped with
 * similar ones, so supervisors see what citizens ask that the knowledge
 * base lacks, most frequent first (admin/routes/unanswered.ts).
 *
 * Which fallbacks count: only the knowledge gaps, reasons `unknown` (no
 * entry came close) and `unsure` (an entry came close but below the
 * confidence threshold). The others are not gaps: `out-of-scope` is another
 * agency's service and already gets the right pointer; `injection` is an
 * attack whose text must never become a phrase; `personal-data` asks for
 * someone else's data, which the bot refuses by design (and such messages
 * carry NIKs); `empty` has nothing to learn from.
 *
 * Recording is off the reply's hot path: the dispatcher only queues a job
 * (`note`, before the turn commits, job id = the message's id, so a re-run
 * turn queues nothing new) and a worker does the grouping. The job checks
 * the turn's stored first reply before recording, so a turn that was
 * decided again differently (another process moved the conversation on)
 * records nothing, and one not finished yet is retried. Jobs live in the
 * queue (the store or Redis) and survive restarts.
 *
 * Grouping: Jaccard similarity of the message's informative stems
 * (Understander.informativeStems, digits dropped) with each open group's
 * centre (the stems of its first message); the most similar group at or
 * above GROUP_SIMILARITY takes it, else it starts a new group. Two
 * processes recording similar first messages at the same instant may open
 * two groups; nothing is lost, and a supervisor handles both.
 */
import type { KnowledgeBase } from './knowledge-base.js';
import type { Logger } from './log.js';
import type { FallbackReason, Understander } from './nlu/understand.js';
import { maskPersonalData } from './personal-data.js';
import type { JobQueue } from './queue/types.js';
import type { Message, Store, UnansweredGroup } from './store/types.js';

export const UNANSWERED_QUEUE = 'unanswered';

/**
 * Least Jaccard similarity to join a group: at least half of the two
 * messages' meaningful words shared. Tuned on the labelled development sets
 * (bench/devset, bench/devset2; tests/unanswered.units.test.ts): grouping
 * their 754 answerable messages in order, a joining message belonged to its
 * group's entry in 78 % of 193 joins at 0.5 (the same from 0.43 up), in 72 %
 * of 290 at 0.4, and in 83 % of only 120 at 0.55. A wrongly joined message
 * costs a supervisor an unticked box; a missed join, a longer list.
 */
export const GROUP_SIMILARITY = 0.5;

/** Open groups a new message is compared with (the most frequent first). */
export const COMPARED_GROUPS = 1000;

const KNOWLEDGE_GAPS: ReadonlySet<FallbackReason> = new Set(['unknown', 'unsure']);

/** Whether a fallback says the knowledge base lacks something (see the list above). */
export function isKnowledgeGap(reason: FallbackReason): boolean {
  return KNOWLEDGE_GAPS.has(reason);
}

/** What the engine tells the dispatcher about a turn it answered with a fallback. */
export interface FallbackNote {
  reason: FallbackReason;
  /** The text the NLU read (a chosen option's value replaces a typed number). */
  text: string;
}

export interface UnansweredJob {
  /** The citizen's message. */
  messageId: string;
  /** Its text with personal data masked (jobs are stored too). */
  text: string;
}

/** Jaccard similarity of two stem sets: shared / all distinct. */
export function similarity(a: readonly string[], b: readonly string[]): number {
  const left = new Set(a);
  const right = new Set(b);
  if (left.size === 0 || right.size === 0) return 0;
  let shared = 0;
  for (const stem of right) if (left.has(stem)) shared++;
  return shared / (left.size + right.size - shared);
}

/** The group a message with these stems belongs to: the most similar at or above the threshold (the earlier, more frequent one on a tie). */
export function closestGroup(stems: readonly string[], groups: readonly UnansweredGroup[], threshold = GROUP_SIMILARITY): UnansweredGroup | undefined {
  let best: UnansweredGroup | undefined;
  let bestScore = 0;
  for (const group of groups) {
    const score = similarity(stems, group.stems);
    if (score >= threshold && score > bestScore) {
      best = group;
      bestScore = score;
    }
  }
  return best;
}

/** The stems a message is grouped by: the NLU's informative stems without numbers (masked digits are no meaning, and no personal data may be kept). */
export function groupingStems(understander: Pick<Understander, 'informativeStems'>, maskedText: string): string[] {
  return understander.informativeStems(maskedText).filter((stem) => !/[\d*]/u.test(stem));
}

export interface UnansweredLogDeps {
  store: Store;
  queue: JobQueue;
  knowledge: KnowledgeBase;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** Waits a moment so the turn has usually stored its replies when the job first looks. */
const FIRST_LOOK_MS = 300;
/** Retries (1, 3, 7, 15 … s) while the turn is still being finished, then gives up. */
const JOB_ATTEMPTS = 8;
const JOB_BACKOFF_MS = 1000;

export type RecordOutcome = 'recorded' | 'answered' | 'no-meaning';

export class UnansweredLog {
  constructor(private readonly deps: UnansweredLogDeps) {}

  /** Called by the dispatcher for a fallback turn, before it commits; queues only knowledge gaps. */
  async note(message: Pick<Message, 'id'>, fallback: FallbackNote): Promise<void> {
    if (!isKnowledgeGap(fallback.reason)) return;
    const job: UnansweredJob = { messageId: message.id, text: maskPersonalData(fallback.text).trim() };
    await this.deps.queue.add(UNANSWERED_QUEUE, job, { jobId: `unanswered:${message.id}`, delayMs: FIRST_LOOK_MS, attempts: JOB_ATTEMPTS, backoffMs: JOB_BACKOFF_MS });
  }

  /** Starts the worker in this process. */
  start(): void {
    const { queue, log } = this.deps;
    queue.process<UnansweredJob>(UNANSWERED_QUEUE, async (job) => {
      const outcome = await this.record(job.data);
      if (outcome !== 'recorded') log.info({ job: job.id, outcome }, 'unanswered message not recorded');
    });
    queue.onFailed<UnansweredJob>(UNANSWERED_QUEUE, (job, error) => log.warn({ job: job.id, err: error }, 'unanswered message could not be recorded'));
  }

  /**
   * Adds the message to its group once its turn is finished with a fallback.
   * Throws while the turn is not finished (the queue retries).
   */
  async record(job: UnansweredJob): Promise<RecordOutcome> {
    const { store, knowledge } = this.deps;
    const [inbound, firstReply] = await Promise.all([store.messages.get(job.messageId), store.messages.get(`${job.messageId}-01`)]);
    if (!inbound) return 'answered';
    if (!firstReply) {
      if (inbound.handledAt) return 'answered'; // handled without a reply (an agent took the chat meanwhile)
      throw new Error(`the turn of ${job.messageId} is not finished yet`);
    }
    if (firstReply.kind !== 'fallback') return 'answered';
    const stems = groupingStems((await knowledge.current()).understander, job.text);
    // "???" or "123": a phrase without meaningful words could never match anything.
    if (stems.length === 0) return 'no-meaning';
    const group = closestGroup(stems, await store.unanswered.open(COMPARED_GROUPS));
    await store.unanswered.record({ text: job.text, stems, at: inbound.createdAt }, group?.id);
    return 'recorded';
  }
}
