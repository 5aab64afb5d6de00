/**
 * The nlp.js baseline: @nlpjs/nlp with @nlpjs/lang-id, trained on the same
 * knowledge the engine has. Each entry's `phrases` become examples of an
 * intent named after the entry id; the non-answer kinds (greeting, thanks,
 * menu, handoff, status, complaint) get the phrase lists of the lexicon
 * (knowledge/language/concepts.yaml `intents` and `complaints`). nlp.js's
 * `None` intent (or a score under its threshold, which it turns into `None`)
 * counts as a fallback.
 *
 * Set up as in the @nlpjs/nlp README (containerBootstrap → use(Nlp) →
 * get('nlp')), with autoSave/autoLoad off, training progress off and the
 * container's console logger replaced by a silent one (its warnings are
 * counted instead).
 */
import core from '@nlpjs/core';
import langId from '@nlpjs/lang-id';
import nlpPackage from '@nlpjs/nlp';
import type { Language } from '../knowledge/load.js';
import type { Entry } from '../knowledge/schema.js';
import type { DevCase, DevResult } from './devset.js';

const LOCALE = 'id';
/** Intent names for the non-answer kinds (no dots: nlp.js reads `a.b` as domain.intent in places). */
const KIND_PREFIX = 'kind_';
export const NONE_INTENT = 'None';

export interface NlpjsClassification {
  intent: string;
  score: number;
}

export interface NlpjsOutput {
  intent: string;
  score: number;
  classifications: NlpjsClassification[];
}

/** The part of nlp.js's `Nlp` class used here. */
interface NlpInstance {
  settings: { autoSave?: boolean; autoLoad?: boolean; threshold: number; [key: string]: unknown };
  nluManager: {
    settings: Record<string, unknown>;
    domainManagers: Record<string, { domains: Record<string, { cache?: { results: Record<string, unknown> } }> }>;
  };
  addLanguage(locale: string): void;
  addDocument(locale: string, utterance: string, intent: string): void;
  train(): Promise<unknown>;
  process(locale: string, utterance: string): Promise<NlpjsOutput>;
}

export interface TrainingExample {
  text: string;
  intent: string;
}

/** The training corpus: KB phrases → entry id, lexicon lists → `kind_<kind>`. Duplicate (text, intent) pairs once. */
export function buildTrainingSet(entries: Entry[], language: Language): TrainingExample[] {
  const { intents, complaints } = language.concepts;
  const byKind: Record<string, string[]> = {
    greeting: intents.greeting,
    thanks: intents.thanks,
    menu: intents.menu,
    handoff: intents.handoff,
    status: intents.status,
    complaint: [...intents.complaintExplicit, ...Object.values(complaints).flat()],
  };
  const seen = new Set<string>();
  const examples: TrainingExample[] = [];
  const add = (text: string, intent: string) => {
    const key = `${intent}\u0000${text.trim().toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    examples.push({ text, intent });
  };
  for (const entry of entries) for (const phrase of entry.phrases) add(phrase, entry.id);
  for (const [kind, phrases] of Object.entries(byKind)) for (const phrase of phrases) add(phrase, `${KIND_PREFIX}${kind}`);
  return examples;
}

/** Training texts that appear under more than one intent (nlp.js keeps them all; its exact-match dictionary keeps the last). */
export function conflictingExamples(examples: TrainingExample[]): string[] {
  const intentsByText = new Map<string, Set<string>>();
  for (const { text, intent } of examples) {
    const key = text.trim().toLowerCase();
    intentsByText.set(key, (intentsByText.get(key) ?? new Set()).add(intent));
  }
  return [...intentsByText].filter(([, set]) => set.size > 1).map(([text, set]) => `${text} → ${[...set].join(' | ')}`);
}

/** nlp.js intent → the reply kind and entry the scoring compares. */
export function intentToReply(intent: string): { kind: string; entry?: string } {
  if (!intent || intent === NONE_INTENT) return { kind: 'fallback' };
  if (intent.startsWith(KIND_PREFIX)) return { kind: intent.slice(KIND_PREFIX.length) };
  return { kind: 'answer', entry: intent };
}

export interface NlpjsBaseline {
  nlp: NlpInstance;
  threshold: number;
  examples: TrainingExample[];
  intents: number;
  trainMs: number;
  /** Messages nlp.js's logger emitted while training (e.g. "contains only stop words"). */
  warnings: string[];
  classify(text: string): Promise<{ kind: string; entry?: string; intent: string; score: number }>;
  /** Drops nlp.js's per-utterance cache of prepared tokens (see `evaluateNlpjs`). */
  forgetUtterances(): void;
}

export async function createNlpjsBaseline(entries: Entry[], language: Language): Promise<NlpjsBaseline> {
  const warnings: string[] = [];
  const record = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  const silentLogger = { trace() {}, debug() {}, info() {}, log() {}, warn: record, error: record, fatal: record };

  const container = await core.containerBootstrap();
  container.register('logger', silentLogger);
  container.use(nlpPackage.Nlp);
  container.use(langId.LangId);
  const nlp = container.get('nlp') as NlpInstance;
  nlp.settings.autoSave = false;
  nlp.settings.autoLoad = false;
  // The NLU's default `log: true` prints every training epoch to the console.
  nlp.nluManager.settings.log = false;
  nlp.addLanguage(LOCALE);

  const examples = buildTrainingSet(entries, language);
  for (const { text, intent } of examples) nlp.addDocument(LOCALE, text, intent);
  const started = performance.now();
  await nlp.train();
  const trainMs = performance.now() - started;

  return {
    nlp,
    threshold: nlp.settings.threshold,
    examples,
    intents: new Set(examples.map((e) => e.intent)).size,
    trainMs,
    warnings,
    async classify(text) {
      const output = await nlp.process(LOCALE, text);
      return { ...intentToReply(output.intent), intent: output.intent, score: output.score };
    },
    forgetUtterances() {
      for (const manager of Object.values(nlp.nluManager.domainManagers)) {
        for (const domain of Object.values(manager.domains)) if (domain.cache) domain.cache.results = {};
      }
    },
  };
}

/**
 * Classifies every case, timing `nlp.process('id', text)`. Scored like the
 * engine: right when the kind matches and, for answers, the entry matches.
 */
export async function evaluateNlpjs(cases: DevCase[], baseline: NlpjsBaseline): Promise<DevResult[]> {
  const results: DevResult[] = [];
  for (const item of cases) {
    const started = performance.now();
    const output = await baseline.nlp.process(LOCALE, item.text);
    const ms = performance.now() - started;
    const { kind: gotKind, entry: gotEntry } = intentToReply(output.intent);
    const correct = gotKind === item.kind && (item.kind !== 'answer' || gotEntry === item.entry);
    results.push({ ...item, gotKind, gotEntry, confidence: output.score, correct, ms });
  }
  return results;
}
