/**
 * What the knowledge-base pages show, as plain data: the edit form's
 * fields and their Indonesian labels, form ↔ entry, review dates, the
 * per-field diff, the answer preview and the "try a question" result.
 * Pure functions, no I/O: the routes (knowledge*.ts) fetch, these shape.
 *
 * The preview renders with the bot's own code (bot/answers.ts for the
 * text, bot/channel-format.ts for what WhatsApp receives), so what staff
 * see is what citizens get; `segments` splits out *bold* and _italic_ the
 * same way the inbox does, and templates escape everything.
 */
import { diffArrays, diffWords } from 'diff';
import type { Request } from 'express';
import { formatDate, renderAnswer } from '../../bot/answers.js';
import { encodeForChannel, WHATSAPP_CAPABILITIES } from '../../bot/channel-format.js';
import type { Understanding } from '../../bot/nlu/understand.js';
import { CONFIDENCE_THRESHOLD } from '../../bot/nlu/understand.js';
import type { Draft } from '../../bot/store/types.js';
import type { Entry, OfficeProfile } from '../../knowledge/schema.js';
import { segments, type Segment } from './inbox-view.js';

// ---- fields ------------------------------------------------------------------------------------

/** Every field as staff read it, in the order of the form and of the diff. */
export const FIELDS: { key: keyof Entry; label: string; kind: 'text' | 'lines' | 'cases' }[] = [
  { key: 'title', label: 'Judul', kind: 'text' },
  { key: 'summary', label: 'Ringkasan', kind: 'text' },
  { key: 'requirements', label: 'Syarat yang perlu dibawa', kind: 'lines' },
  { key: 'steps', label: 'Langkah', kind: 'lines' },
  { key: 'where', label: 'Tempat mengurus', kind: 'text' },
  { key: 'cost', label: 'Biaya', kind: 'text' },
  { key: 'processingTime', label: 'Lama proses', kind: 'text' },
  { key: 'specialCases', label: 'Kasus khusus', kind: 'cases' },
  { key: 'legalBasis', label: 'Dasar hukum', kind: 'lines' },
  { key: 'phrases', label: 'Cara warga bertanya', kind: 'lines' },
  { key: 'document', label: 'Jenis dokumen', kind: 'text' },
  { key: 'situations', label: 'Keadaan', kind: 'lines' },
  { key: 'related', label: 'Entri terkait', kind: 'lines' },
  { key: 'lastReviewed', label: 'Terakhir ditinjau', kind: 'text' },
  { key: 'reviewIntervalDays', label: 'Tinjau ulang setiap (hari)', kind: 'text' },
  { key: 'id', label: 'Kode entri', kind: 'text' },
];

const LABELS = new Map<string, string>(FIELDS.map((field) => [field.key, field.label]));

/** The edit form's values: plain strings, lists one item per line. */
export interface EntryForm {
  id: string;
  title: string;
  document: string;
  situations: string;
  summary: string;
  requirements: string;
  steps: string;
  where: string;
  cost: string;
  processingTime: string;
  legalBasis: string;
  phrases: string;
  related: string[];
  cases: { when: string; then: string }[];
  lastReviewed: string;
  reviewIntervalDays: string;
  /** "Checked against the rules today": lastReviewed becomes today. */
  reviewedToday: boolean;
}

export function entryToForm(entry: Entry): EntryForm {
  const lines = (items: string[]) => items.join('\n');
  return {
    id: entry.id,
    title: entry.title,
    document: entry.document,
    situations: entry.situations.join(', '),
    summary: entry.summary,
    requirements: lines(entry.requirements),
    steps: lines(entry.steps),
    where: entry.where,
    cost: entry.cost,
    processingTime: entry.processingTime,
    legalBasis: lines(entry.legalBasis),
    phrases: lines(entry.phrases),
    related: [...entry.related],
    cases: entry.specialCases.map((c) => ({ ...c })),
    lastReviewed: entry.lastReviewed,
    reviewIntervalDays: String(entry.reviewIntervalDays),
    reviewedToday: false,
  };
}

export const EMPTY_FORM: EntryForm = {
  id: '', title: '', document: '', situations: '', summary: '', requirements: '', steps: '',
  where: '{{office.shortName}}, {{office.address}}', cost: 'Gratis, tidak dipungut biaya apa pun (UU 24/2013 Pasal 79A).', processingTime: '',
  legalBasis: 'UU 24/2013 Pasal 79A (gratis)', phrases: '', related: [], cases: [], lastReviewed: '', reviewIntervalDays: '180', reviewedToday: true,
};

/** A form field that may be sent several times (checkboxes, rows), as a list of strings. */
export function fieldValues(req: Request, name: string): string[] {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

const one = (req: Request, name: string) => fieldValues(req, name)[0] ?? '';

export function formFromRequest(req: Request): EntryForm {
  const whens = fieldValues(req, 'caseWhen');
  const thens = fieldValues(req, 'caseThen');
  return {
    id: one(req, 'id').trim().toLowerCase(),
    title: one(req, 'title'),
    document: one(req, 'document').trim().toLowerCase(),
    situations: one(req, 'situations'),
    summary: one(req, 'summary'),
    requirements: one(req, 'requirements'),
    steps: one(req, 'steps'),
    where: one(req, 'where'),
    cost: one(req, 'cost'),
    processingTime: one(req, 'processingTime'),
    legalBasis: one(req, 'legalBasis'),
    phrases: one(req, 'phrases'),
    related: fieldValues(req, 'related'),
    cases: whens.map((when, index) => ({ when, then: thens[index] ?? '' })),
    lastReviewed: one(req, 'lastReviewed'),
    reviewIntervalDays: one(req, 'reviewIntervalDays'),
    reviewedToday: one(req, 'reviewedToday') === '1',
  };
}

const splitLines = (text: string) => text.split(/\r?\n/u).map((line) => line.replace(/\s+/gu, ' ').trim()).filter(Boolean);
const clean = (text: string) => text.replace(/\r\n?/gu, '\n').trim();

/** The form as an entry for validEntry(): empty lines and empty special-case rows dropped. */
export function formToInput(form: EntryForm, today: string): Record<string, unknown> {
  const interval = Number(form.reviewIntervalDays);
  return {
    id: form.id,
    title: clean(form.title),
    document: form.document,
    situations: form.situations.split(/[,\n]/u).map((s) => s.trim().toLowerCase()).filter(Boolean),
    summary: clean(form.summary),
    requirements: splitLines(form.requirements),
    steps: splitLines(form.steps),
    where: clean(form.where),
    cost: clean(form.cost),
    processingTime: clean(form.processingTime),
    legalBasis: splitLines(form.legalBasis),
    specialCases: form.cases.map((c) => ({ when: clean(c.when), then: clean(c.then) })).filter((c) => c.when || c.then),
    phrases: splitLines(form.phrases),
    related: [...new Set(form.related)],
    lastReviewed: form.reviewedToday || !form.lastReviewed ? today : form.lastReviewed,
    reviewIntervalDays: form.reviewIntervalDays.trim() === '' || Number.isNaN(interval) ? form.reviewIntervalDays : interval,
  };
}

/**
 * Field problems from validEntry, by form field, in words: `requirements.2`
 * becomes "baris 3: …" under "Syarat"; special cases land on `cases`.
 */
export function errorsByField(problems: { path: string; message: string }[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { path, message } of problems) {
    const [field = '', index, sub] = path.split('.');
    const key = field === 'specialCases' ? 'cases' : field || 'form';
    const where = index !== undefined ? (field === 'specialCases' ? `kasus ${Number(index) + 1}${sub ? (sub === 'when' ? ', situasi' : ', yang dilakukan') : ''}` : `baris ${Number(index) + 1}`) : '';
    (out[key] ??= []).push(where ? `${where}: ${message}` : message);
  }
  return out;
}

/** Field problems for the import report: "Syarat, baris 3: terlalu pendek". */
export function describeProblem(problem: { path: string; message: string }): string {
  if (!problem.path) return problem.message;
  const [field = '', index] = problem.path.split('.');
  const label = LABELS.get(field) ?? field;
  return `${label}${index !== undefined ? `, baris ${Number(index) + 1}` : ''}: ${problem.message}`;
}

// ---- review dates ------------------------------------------------------------------------------

/** Today's date (YYYY-MM-DD) in the office's time zone. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export interface ReviewState {
  lastReviewed: string;
  due: string;
  overdue: boolean;
  /** "ditinjau 23 November 2026 · tinjau lagi sebelum 22 Mei 2027" */
  text: string;
}

export function reviewState(entry: Pick<Entry, 'lastReviewed' | 'reviewIntervalDays'>, today: string): ReviewState {
  const due = new Date(`${entry.lastReviewed}T00:00:00Z`);
  due.setUTCDate(due.getUTCDate() + entry.reviewIntervalDays);
  const dueIso = due.toISOString().slice(0, 10);
  const overdue = dueIso < today;
  return {
    lastReviewed: formatDate(entry.lastReviewed),
    due: formatDate(dueIso),
    overdue,
    text: overdue ? `Terakhir ditinjau ${formatDate(entry.lastReviewed)}; seharusnya ditinjau ulang sebelum ${formatDate(dueIso)}` : `Ditinjau ${formatDate(entry.lastReviewed)} · tinjau lagi sebelum ${formatDate(dueIso)}`,
  };
}

// ---- diff --------------------------------------------------------------------------------------

export interface DiffPiece {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

export interface FieldDiff {
  key: string;
  label: string;
  changed: boolean;
  /** Lists: one line each. Texts: the new text, word by word. */
  kind: 'lines' | 'words';
  pieces: DiffPiece[];
  added: number;
  removed: number;
}

const asLines = (entry: Entry | null, key: keyof Entry): string[] => {
  if (!entry) return [];
  const value = entry[key];
  if (key === 'specialCases') return entry.specialCases.map((c) => `${c.when} → ${c.then}`);
  return Array.isArray(value) ? (value as string[]) : [];
};

const asText = (entry: Entry | null, key: keyof Entry): string => (entry ? String(entry[key]) : '');

/** What changed from `before` (null: a new entry) to `after`, field by field, in the form's order. */
export function diffEntries(before: Entry | null, after: Entry): FieldDiff[] {
  return FIELDS.map(({ key, label, kind }) => {
    let pieces: DiffPiece[];
    if (kind === 'text') {
      const changes = diffWords(asText(before, key), asText(after, key));
      pieces = changes.map((change) => ({ kind: change.added ? 'added' : change.removed ? 'removed' : 'same', text: change.value }));
    } else {
      const changes = diffArrays(asLines(before, key), asLines(after, key));
      pieces = changes.flatMap((change) => change.value.map((text) => ({ kind: change.added ? 'added' : change.removed ? 'removed' : 'same', text }) as DiffPiece));
    }
    const added = pieces.filter((piece) => piece.kind === 'added').length;
    const removed = pieces.filter((piece) => piece.kind === 'removed').length;
    return { key, label, changed: added + removed > 0, kind: kind === 'text' ? 'words' : 'lines', pieces, added, removed };
  });
}

// ---- preview -----------------------------------------------------------------------------------

export interface Preview {
  /** What WhatsApp receives: one bubble per platform message. */
  whatsapp: Segment[][];
  /** The web chat's one bubble. */
  web: Segment[];
  characters: number;
}

/** The answer a citizen gets for this entry, on each channel, rendered by the bot's own code. */
export function previewOf(entry: Entry, office: OfficeProfile): Preview {
  const text = renderAnswer(entry, office);
  const parts = encodeForChannel({ text }, WHATSAPP_CAPABILITIES);
  return { whatsapp: parts.map((part) => segments(part.text)), web: segments(text), characters: text.length };
}

// ---- try a question ----------------------------------------------------------------------------

const INTENTS: Record<Understanding['intent'], string> = {
  answer: 'Bot menjawab dengan entri',
  fallback: 'Bot tidak menjawab',
  complaint: 'Bot memulai pengaduan',
  status: 'Bot mengecek status pengaduan',
  handoff: 'Bot menyambungkan ke petugas',
  greeting: 'Bot membalas salam',
  thanks: 'Bot membalas terima kasih',
  menu: 'Bot menampilkan menu',
  cancel: 'Bot membatalkan',
};

const FALLBACKS: Record<NonNullable<Understanding['fallbackReason']>, string> = {
  empty: 'pesan kosong',
  injection: 'pesan mencoba mengubah perintah bot',
  'personal-data': 'meminta data pribadi orang lain',
  'out-of-scope': 'layanan instansi lain',
  unknown: 'tidak ada entri yang cocok',
  unsure: 'kecocokan terlalu lemah',
};

export interface TryView {
  action: string;
  answers: boolean;
  entry: { id: string; title: string } | null;
  /** 0–100 */
  confidence: number;
  threshold: number;
  reason: string | null;
  /** The words that decided. */
  evidence: string[];
  suggestions: { id: string; title: string }[];
  aspect: string | null;
}

const ASPECTS: Record<string, string> = { biaya: 'biaya', waktu: 'lama proses', lokasi: 'tempat' };

export function tryView(understanding: Understanding, titles: Map<string, string>): TryView {
  const id = understanding.intent === 'answer' ? understanding.entries[0] : undefined;
  const named = (entryId: string) => ({ id: entryId, title: titles.get(entryId) ?? entryId });
  return {
    action: INTENTS[understanding.intent],
    answers: understanding.intent === 'answer',
    entry: id ? named(id) : null,
    confidence: Math.round(understanding.confidence * 100),
    threshold: Math.round(CONFIDENCE_THRESHOLD * 100),
    reason: understanding.fallbackReason ? FALLBACKS[understanding.fallbackReason] : null,
    evidence: understanding.evidence.map((word) => (word === '(frasa entri)' ? 'sama dengan salah satu "cara warga bertanya" di entri' : word)),
    suggestions: understanding.suggestions.map(named),
    aspect: understanding.aspect ? ASPECTS[understanding.aspect] ?? understanding.aspect : null,
  };
}

// ---- drafts ------------------------------------------------------------------------------------

export const DRAFT_STATUS: Record<Draft['status'], { label: string; tone: 'wait' | 'ok' | 'bad' | 'off' }> = {
  draft: { label: 'Draf (belum diajukan)', tone: 'off' },
  submitted: { label: 'Menunggu persetujuan', tone: 'wait' },
  rejected: { label: 'Dikembalikan ke penulis', tone: 'bad' },
  approved: { label: 'Disetujui dan terbit', tone: 'ok' },
};

/** Words of an entry for the list's search: title, code, document, phrases and the checklist. */
export function matchesSearch(entry: Entry, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/u).filter(Boolean);
  if (!words.length) return true;
  const haystack = [entry.id, entry.title, entry.document, entry.summary, ...entry.situations, ...entry.phrases, ...entry.requirements].join('\n').toLowerCase();
  return words.every((word) => haystack.includes(word));
}
