/**
 * Deciding what a citizen means. The message is normalised (slang, typos,
 * stems), the concept lexicon finds documents, situations, aspects and
 * intents in it, and a few explicit rules pick the answer: the document the
 * message is about, what happened to it, and what the citizen wants to know.
 * A lexical similarity over the knowledge base backs this up and supplies
 * suggestions. When the evidence is weak the result is a fallback, never a
 * guess: a confident wrong answer costs a citizen a wasted trip.
 */
import TfIdf from 'natural/lib/natural/tfidf/tfidf.js';
import type { Language } from '../../knowledge/load.js';
import type { Entry, OfficeProfile } from '../../knowledge/schema.js';
import type { DialogueMemory } from '../store/types.js';
import { findTicketNumber } from '../tickets.js';
import { PatternMatcher, type Match } from './matcher.js';
import { Normalizer, type Normalized } from './normalize.js';
import { SpellingCorrector } from './spelling.js';
import { isDictionaryWord, tokenize } from './text.js';

export type Aspect = 'biaya' | 'waktu' | 'lokasi';
export type Intent = 'answer' | 'fallback' | 'complaint' | 'status' | 'handoff' | 'greeting' | 'thanks' | 'menu' | 'cancel';
export type FallbackReason = 'empty' | 'injection' | 'personal-data' | 'out-of-scope' | 'unknown' | 'unsure';

export interface Understanding {
  intent: Intent;
  /** Entries to answer from, best first (intent `answer`). */
  entries: string[];
  /** What the citizen asks about the entry (cost, time, place). */
  aspect?: Aspect;
  /** 0..1: how sure the decision is. */
  confidence: number;
  /** Canonical ticket number found in the message. */
  ticketNumber?: string;
  fallbackReason?: FallbackReason;
  /** Another agency's service the message is about, with where to go instead. */
  outOfScope?: { topic: string; pointer: string };
  /** Complaint category suggested by the wording (`pungli`, `lambat`...). */
  complaintCategory?: string;
  /** Entries that came close, offered when the bot does not answer. */
  suggestions: string[];
  /** The words that decided, for admins asking "why this answer?". */
  evidence: string[];
}

/** Below this the bot does not answer from the knowledge base. */
export const CONFIDENCE_THRESHOLD = 0.5;

/** Situations that say more than "new": "bikin KTP yang hilang" is about a lost KTP. */
const SITUATION_WEIGHT: Record<string, number> = {
  hilang: 3,
  rusak: 3,
  pisah: 2.6,
  tambah: 2.5,
  kurang: 2.5,
  datang: 2.2,
  'dalam-kota': 2.4,
  salah: 2.2,
  keluar: 2,
  ubah: 2,
  baru: 1,
};

/** Life events that imply a situation of a card when none is named: a baby joins the KK, a marriage splits it. */
const EVENT_SITUATION: Record<string, Record<string, string>> = {
  kk: { lahir: 'tambah', mati: 'kurang', nikah: 'pisah', cerai: 'pisah' },
  ktp: { nikah: 'ubah', cerai: 'ubah' },
};

/** "akta anak": a child next to a bare "akta" means a birth certificate. */
const CHILD_WORDS = new Set(['anak', 'bayi', 'cucu', 'putra', 'putri', 'anaknya', 'bocah']);

/** Which akta a bare "akta" means, by the event mentioned with it. */
const EVENT_DOCUMENT: Record<string, string> = {
  lahir: 'akta-kelahiran',
  mati: 'akta-kematian',
  nikah: 'akta-perkawinan',
  cerai: 'akta-perceraian',
};

/** An akta that is wrong ("salah", "typo", "beda dengan ijazah") needs a correction, whichever akta it is. */
const CORRECTED_BY = 'pembetulan-akta';
const CORRECTABLE = new Set(['akta-kelahiran', 'akta-kematian', 'akta-perkawinan', 'akta-perceraian']);

/** The document of moving house: its situations (in, out, within) outweigh the cards it changes. */
const MOVING = 'pindah';

/** Procedures that refine a document ("ganti nama di akta", "legalisir KK") are the subject over the document itself. */
const PROCEDURES = new Set(['pembetulan-akta', 'perubahan-nama', 'pengakuan-anak', 'pengesahan-anak', 'legalisir', 'ikd']);

/** Words before a document that make it a requirement, not the subject ("bawa KK", "pakai KTP"). */
const REQUIREMENT_WORDS = new Set(['bawa', 'membawa', 'pakai', 'memakai', 'fotokopi', 'lampirkan', 'melampirkan', 'dengan', 'serta', 'plus', 'perlu', 'butuh', 'modal', 'cukup']);
/** Words before a service that make it the purpose of the question, not its subject ("akta untuk daftar sekolah"). */
const PURPOSE_WORDS = new Set(['untuk', 'keperluan', 'kebutuhan', 'guna', 'syaratnya']);
/** Words before a document or service that make it the subject ("syarat SIM", "bikin paspor"). */
const ACTION_WORDS = new Set(['syarat', 'persyaratan', 'buat', 'membuat', 'urus', 'mengurus', 'cara', 'daftar', 'mendaftar', 'cetak', 'mencetak', 'aktivasi', 'aktifkan', 'rekam', 'perpanjang', 'memperpanjang', 'ajukan', 'mengajukan', 'proses', 'bikin', 'pengurusan', 'pembuatan']);
/** "kk mau tanya": after these words "kk" is kakak, not Kartu Keluarga. */
const KAKAK_FOLLOWERS = new Set(['mau', 'tanya', 'bertanya', 'tolong', 'minta', 'boleh', 'izin', 'ijin', 'mohon', 'apakah', 'bisa', 'ingin', 'numpang', 'permisi', 'admin', 'min', 'bagaimana', 'mo']);
/** "kk admin", "kk cantik": after these words "kk" is kakak wherever it stands. */
const KAKAK_ALWAYS = new Set(['admin', 'min', 'cs', 'petugas', 'cantik', 'ganteng', 'manis', 'baik', 'sayang', 'lucu']);
const KAKAK_PRECEDERS = new Set(['kasih', 'thanks', 'halo', 'hai', 'hi', 'pagi', 'siang', 'sore', 'malam', 'permisi', 'maaf', 'assalamualaikum', 'salam']);
/** Words that place a bare cost or time question at this office ("perlu siapin uang ga kalau ke capil"). */
const OFFICE_CONTEXT = new Set(['dukcapil', 'kantor', 'urus', 'mengurus', 'dokumen', 'berkas', 'layanan', 'pelayanan', 'adminduk', 'kependudukan', 'petugas', 'loket', 'proses']);

interface DocumentMention {
  document: string;
  start: number;
  end: number;
  score: number;
  pattern: string;
}

interface Topic {
  entries: string[];
  aspect?: Aspect;
  confidence: number;
  evidence: string[];
}

/** Region names from the office profile, as extra patterns for moving in, out and within. */
function regionPatterns(office: OfficeProfile): Record<string, string[]> {
  const city = office.region.toLowerCase().replace(/^(kota|kabupaten|kab)\s+/u, '');
  const places = office.kecamatan.flatMap((k) => [k.name, ...k.kelurahan]).map((name) => name.toLowerCase());
  const here = [city, `kota ${city}`, `kabupaten ${city}`];
  return {
    datang: here.flatMap((h) => [`ke ${h}`, `pindah ke ${h}`, `masuk ${h}`, `masuk ke ${h}`, `dari luar ${h}`, `tinggal di ${h}`, `domisili ${h}`, `warga ${h}`, `penduduk ${h}`]),
    keluar: here.flatMap((h) => [`keluar dari ${h}`, `pindah dari ${h}`, `keluar ${h}`, `luar ${h}`, `dari ${h} ke`]),
    'dalam-kota': [
      ...here.flatMap((h) => [`masih di ${h}`, `dalam ${h}`, `sesama ${h}`, `di ${h} juga`, `masih ${h}`]),
      ...places.flatMap((place) => [`ke ${place}`, `pindah ${place}`, `ke kecamatan ${place}`, `ke kelurahan ${place}`, `kec ${place}`]),
    ],
  };
}

export class Understander {
  private readonly matcher: PatternMatcher;
  private readonly normalizer: Normalizer;
  private readonly fillers: Set<string>;
  private readonly entriesByDocument = new Map<string, Entry[]>();
  private readonly defaultEntry = new Map<string, string>();
  /** situation → the documents whose entries cover it */
  private readonly situationDocuments = new Map<string, Set<string>>();
  private readonly lexical = new TfIdf();
  private readonly lexicalIds: string[] = [];
  /** An entry's own phrases, by their informative stems: a message saying exactly that is answered from it. */
  private readonly phrases = new Map<string, string>();
  private readonly pointers: Record<string, string>;
  private readonly situationDefaults: Record<string, string>;

  constructor(options: { language: Language; entries: Entry[]; office: OfficeProfile }) {
    const { concepts, slang } = options.language;
    // Patterns are written in standard words; slang in them is standardised the same way as in messages.
    const slangOnly = new Normalizer(slang, new SpellingCorrector([], () => true));
    this.matcher = new PatternMatcher((pattern) => slangOnly.standardize(pattern));
    for (const group of ['documents', 'genericDocuments', 'events', 'situations', 'aspects', 'complaints'] as const) {
      for (const [key, patterns] of Object.entries(concepts[group])) this.matcher.add(group, key, patterns);
    }
    for (const [key, patterns] of Object.entries(regionPatterns(options.office))) this.matcher.add('situations', key, patterns);
    for (const [key, patterns] of Object.entries(concepts.intents)) this.matcher.add('intents', key, patterns);
    for (const [topic, { patterns }] of Object.entries(concepts.outOfScope)) this.matcher.add('outOfScope', topic, patterns);
    this.pointers = Object.fromEntries(Object.entries(concepts.outOfScope).map(([topic, { pointer }]) => [topic, pointer]));
    this.fillers = new Set(concepts.fillers.flatMap(tokenize));
    this.situationDefaults = concepts.situationDefaults;

    for (const entry of options.entries) {
      const list = this.entriesByDocument.get(entry.document) ?? [];
      list.push(entry);
      this.entriesByDocument.set(entry.document, list);
      for (const situation of entry.situations) {
        const documents = this.situationDocuments.get(situation) ?? new Set();
        documents.add(entry.document);
        this.situationDocuments.set(situation, documents);
      }
    }
    for (const [document, list] of this.entriesByDocument) {
      const preferred = list.find((entry) => entry.id === concepts.defaultEntries[document]) ?? list[0]!;
      this.defaultEntry.set(document, preferred.id);
    }

    const entryWords = options.entries.flatMap((entry) => [entry.title, ...entry.phrases].flatMap(tokenize));
    const targets = [...this.matcher.vocabulary(), ...entryWords, ...Object.keys(slang).filter((key) => key.length >= 5 && !key.includes(' '))].filter(
      (word) => !this.fillers.has(word),
    );
    const known = new Set([...this.fillers, ...Object.keys(slang).flatMap(tokenize), ...Object.values(slang).flatMap(tokenize)]);
    this.normalizer = new Normalizer(slang, new SpellingCorrector(targets, (word) => known.has(word) || isDictionaryWord(word)));

    for (const entry of options.entries) {
      const text = [entry.title, entry.title, ...entry.phrases, ...entry.specialCases.map((c) => c.when)].join(' ');
      const stems = [...new Set(this.normalizer.normalize(text).stems.filter((s) => !this.fillers.has(s)))];
      this.lexical.addDocument(stems, entry.id);
      this.lexicalIds.push(entry.id);
      for (const phrase of entry.phrases) {
        const key = this.signature(this.normalizer.normalize(phrase));
        if (key && !this.phrases.has(key)) this.phrases.set(key, entry.id);
      }
    }
  }

  /** The informative stems of a message, as a set: word order and filler words do not matter. */
  private signature(message: Normalized): string {
    return [...new Set(message.stems.filter((s, i) => !this.fillers.has(s) && !this.fillers.has(message.words[i]!)))].sort().join(' ');
  }

  /** The words that carry meaning in a message, stemmed and deduplicated (groups similar unanswered questions). */
  informativeStems(text: string): string[] {
    const signature = this.signature(this.normalizer.normalize(text));
    return signature ? signature.split(' ') : [];
  }

  /** Exposed for tests and the admin "try a question" box. */
  normalize(text: string): Normalized {
    return this.normalizer.normalize(text);
  }

  understand(text: string, memory: DialogueMemory = {}): Understanding {
    const message = this.normalizer.normalize(text);
    const none: Understanding = { intent: 'fallback', entries: [], confidence: 0, suggestions: [], evidence: [] };
    if (message.words.length === 0) return { ...none, fallbackReason: 'empty' };

    const matches = this.matcher.match(message);
    const intent = (key: string) => matches.find((m) => m.group === 'intents' && m.key === key);
    const evidence = (list: (Match | undefined)[]) => list.filter((m): m is Match => m !== undefined).map((m) => m.pattern);

    const injection = intent('injection');
    if (injection) return { ...none, fallbackReason: 'injection', evidence: evidence([injection]) };

    const aboutAComplaint = matches.some((m) => m.group === 'intents' && m.key === 'statusNouns');
    const ticketNumber = findTicketNumber(text, { bare: aboutAComplaint });
    if (ticketNumber) return { ...none, intent: 'status', ticketNumber, confidence: 1, evidence: [ticketNumber] };

    const personal = intent('personalDataRequest');
    if (personal || this.asksAboutAnIdNumber(text, message)) {
      return { ...none, fallbackReason: 'personal-data', confidence: 1, evidence: evidence([personal]) };
    }

    if (this.onlyWords(message, matches, 'cancel', [])) return { ...none, intent: 'cancel', confidence: 1, evidence: evidence([intent('cancel')]) };

    const status = intent('status');
    if (status) return { ...none, intent: 'status', confidence: 0.85, evidence: evidence([status]) };
    const followUp = this.near(matches, 'statusNouns', 'statusFollowUps');
    if (followUp) return { ...none, intent: 'status', confidence: 0.8, evidence: followUp };

    const complaint = matches.find((m) => m.group === 'complaints');
    const handoff = intent('handoff');
    if (handoff && !complaint) return { ...none, intent: 'handoff', confidence: 0.9, evidence: evidence([handoff]) };

    const explicitComplaint = this.explicitComplaint(matches);
    if (complaint || explicitComplaint) {
      return { ...none, intent: 'complaint', confidence: 0.85, complaintCategory: complaint?.key, evidence: evidence([complaint, explicitComplaint]) };
    }

    // Phrases editors put on an entry (e.g. from the unanswered-questions list) are answered as written.
    const phrase = this.phrases.get(this.signature(message));
    if (phrase) return { intent: 'answer', entries: [phrase], confidence: 0.9, suggestions: [], evidence: ['(frasa entri)'] };

    const topic = this.resolveTopic(message, matches, memory);
    const lexical = this.lexicalRanking(message);
    const outOfScope = this.outOfScope(message, matches, topic);
    if (outOfScope) {
      return { ...none, fallbackReason: 'out-of-scope', outOfScope: outOfScope.topic, confidence: 0.9, evidence: [outOfScope.pattern] };
    }
    if (topic) {
      const agrees = lexical[0]?.id === topic.entries[0];
      const confidence = Math.min(1, topic.confidence + (agrees ? 0.05 : 0));
      if (confidence >= CONFIDENCE_THRESHOLD) {
        return { intent: 'answer', entries: topic.entries, aspect: topic.aspect, confidence, suggestions: [], evidence: topic.evidence };
      }
      return { ...none, fallbackReason: 'unsure', confidence, suggestions: unique([...topic.entries, ...lexical.map((l) => l.id)]).slice(0, 3), evidence: topic.evidence };
    }

    const human = this.near(matches, 'handoffPeople', 'handoffRequests');
    if (human) return { ...none, intent: 'handoff', confidence: 0.75, evidence: human };
    if (this.onlyWords(message, matches, 'thanks', ['greeting', 'menu'])) return { ...none, intent: 'thanks', confidence: 0.9, evidence: evidence([intent('thanks')]) };
    if (this.onlyWords(message, matches, 'greeting', [])) return { ...none, intent: 'greeting', confidence: 0.9, evidence: evidence([intent('greeting')]) };
    const menu = intent('menu');
    if (menu) return { ...none, intent: 'menu', confidence: 0.8, evidence: evidence([menu]) };
    return { ...none, fallbackReason: 'unknown', suggestions: lexical.filter((l) => l.coverage >= 0.35).map((l) => l.id).slice(0, 3) };
  }

  /** A 16-digit number with "cek", "siapa", "data": someone asks us to look up an NIK or KK number. */
  private asksAboutAnIdNumber(text: string, message: Normalized): boolean {
    if (!/(?<!\d)\d{16}(?!\d)/u.test(text.replace(/[\s.-]/gu, ''))) return false;
    return message.words.some((word) => ['cek', 'siapa', 'data', 'cari', 'alamat', 'lacak', 'pemilik', 'milik'].includes(word));
  }

  /** True when every word is a filler or part of a match of the main intent or the allowed ones (and the main one matched). */
  private onlyWords(message: Normalized, matches: Match[], main: string, allowed: string[]): boolean {
    const covered = new Set<number>();
    let found = false;
    for (const m of matches) {
      if (m.group !== 'intents' || (m.key !== main && !allowed.includes(m.key))) continue;
      if (m.key === main) found = true;
      for (let i = m.start; i < m.end; i++) covered.add(i);
    }
    return found && message.words.every((word, i) => covered.has(i) || this.fillers.has(word) || this.fillers.has(message.stems[i]!));
  }

  /** Two intent word lists used together within six words ("mau sm orang aja", "laporan kemarin sudah ditangani"). */
  private near(matches: Match[], first: string, second: string): string[] | undefined {
    const firsts = matches.filter((m) => m.group === 'intents' && m.key === first);
    const seconds = matches.filter((m) => m.group === 'intents' && m.key === second);
    for (const a of firsts) {
      const b = seconds.find((candidate) => Math.abs(candidate.start - a.start) <= 6);
      if (b) return [a.pattern, b.pattern];
    }
    return undefined;
  }

  /**
   * "mau lapor" is a complaint, unless it is about reporting a birth, a
   * death, a move or a lost card: those are services, not complaints.
   */
  private explicitComplaint(matches: Match[]): Match | undefined {
    const explicit = matches.find((m) => m.group === 'intents' && m.key === 'complaintExplicit');
    if (!explicit) return undefined;
    const reportsAnEvent = matches.some(
      (m) =>
        m.group === 'events' ||
        (m.group === 'situations' && ['hilang', 'rusak', 'datang', 'keluar', 'dalam-kota', 'tambah', 'kurang'].includes(m.key)) ||
        (m.group === 'documents' && m.key === 'pindah'),
    );
    return reportsAnEvent && /lapor/u.test(explicit.pattern) ? undefined : explicit;
  }

  /** Whether the message holds a situation this document's entries cover, and how close to the mention. */
  private supportedSituation(matches: Match[], document: string, start: number, end: number): 'near' | 'far' | undefined {
    let found: 'near' | 'far' | undefined;
    for (const m of matches) {
      if (m.group !== 'situations' || m.key === 'baru' || !this.situationDocuments.get(m.key)?.has(document)) continue;
      if (m.start >= start - 3 && m.start <= end + 3) return 'near';
      found = 'far';
    }
    return found;
  }

  /** The documents mentioned, each scored by how much it looks like the subject of the message. */
  private documentMentions(message: Normalized, matches: Match[]): DocumentMention[] {
    const documents = matches.filter((m) => m.group === 'documents');
    // A longer pattern wins over the shorter one it contains: "ktp anak" is KIA, "ktp digital" is IKD.
    const kept = documents.filter(
      (m) => !documents.some((other) => other !== m && other.start <= m.start && other.end >= m.end && other.end - other.start > m.end - m.start),
    );
    // "buku KIA" (a health book) is another agency's: a document inside an out-of-scope phrase is not one.
    const foreign = matches.filter((m) => m.group === 'outOfScope');
    const mentions: DocumentMention[] = kept
      .filter((m) => !foreign.some((f) => f.start <= m.start && f.end >= m.end && f.end - f.start > m.end - m.start))
      .map((m) => ({ document: m.key, start: m.start, end: m.end, score: 0, pattern: m.pattern }));

    // A bare "akta" is resolved by the nearest life event ("akta anak saya yang baru lahir").
    for (const generic of matches.filter((m) => m.group === 'genericDocuments')) {
      if (kept.some((m) => m.start <= generic.start && m.end > generic.start)) continue;
      const events = matches.filter((m) => m.group === 'events').sort((a, b) => Math.abs(a.start - generic.start) - Math.abs(b.start - generic.start));
      const child = message.words.findIndex((w, i) => CHILD_WORDS.has(w) && Math.abs(i - generic.start) <= 3);
      const childCloser = child >= 0 && (!events[0] || Math.abs(child - generic.start) < Math.abs(events[0].start - generic.start));
      const document = childCloser ? 'akta-kelahiran' : events[0] ? EVENT_DOCUMENT[events[0].key] : undefined;
      mentions.push({ document: document ?? 'akta-kelahiran', start: generic.start, end: generic.end, score: document ? 0 : -0.6, pattern: generic.pattern });
    }

    const words = message.words;
    const startsNear = (group: string, at: number) => matches.some((m) => (m.group === group || m.group === 'aspects') && m.start === at);
    return mentions
      .filter((mention) => {
        if (mention.pattern !== 'kk') return true;
        const next = words[mention.end];
        const previous = words[mention.start - 1];
        const addressed =
          (next !== undefined && KAKAK_ALWAYS.has(next)) ||
          (mention.start <= 1 && next !== undefined && KAKAK_FOLLOWERS.has(next) && !startsNear('situations', mention.end + 1)) ||
          (previous !== undefined && KAKAK_PRECEDERS.has(previous) && (next === undefined || KAKAK_FOLLOWERS.has(next)));
        return !addressed;
      })
      .map((mention) => ({ ...mention, score: mention.score + this.subjectScore(message, matches, mention) }))
      .sort((a, b) => b.score - a.score || a.start - b.start);
  }

  /** How much the words around a mention make it the subject: an action before it, its own situation nearby, not a requirement. */
  private subjectScore(message: Normalized, matches: Match[], mention: { document: string; start: number; end: number }): number {
    let score = 1 - mention.start * 0.02;
    const from = Math.max(0, mention.start - 2);
    const before = [...message.words.slice(from, mention.start), ...message.stems.slice(from, mention.start)];
    if (!PROCEDURES.has(mention.document) && before.some((w) => REQUIREMENT_WORDS.has(w))) score -= 1.5;
    // "akta ... untuk daftar haji": the service after "untuk" is the purpose, not the subject.
    if (before.some((w) => PURPOSE_WORDS.has(w))) score -= 1.5;
    if (before.some((w) => ACTION_WORDS.has(w))) score += 1;
    const situation = this.supportedSituation(matches, mention.document, mention.start, mention.end);
    if (situation === 'near') score += 1.5;
    else if (situation === 'far') score += 0.75;
    if (PROCEDURES.has(mention.document)) score += 1.2;
    return score;
  }

  private resolveTopic(message: Normalized, matches: Match[], memory: DialogueMemory): Topic | null {
    const aspect = this.aspect(matches);
    const mentions = this.documentMentions(message, matches);
    const documents = mentions.filter((m) => !m.document.startsWith('info-'));

    // Office hours and queue numbers are topics of their own, unless a document was named first.
    const officeTopic = mentions.find((m) => m.document === 'info-kantor' || m.document === 'info-antrian');
    if (officeTopic && !documents.some((d) => d.start < officeTopic.start)) {
      return { entries: [this.defaultEntry.get(officeTopic.document)!], confidence: 0.85, evidence: [officeTopic.pattern] };
    }

    let subject: DocumentMention | undefined = this.ownerOfStrongestSituation(matches, documents[0]) ?? documents[0];
    let confidence = subject ? (subject.score >= 0.4 ? 0.85 : 0.7) : 0;
    // "biayanya berapa?" right after an answer: the same entry, another aspect.
    if (!subject && aspect && memory.lastEntry && !matches.some((m) => m.group === 'situations' || m.group === 'events')) {
      return { entries: [memory.lastEntry], aspect, confidence: 0.75, evidence: [`(lanjutan: ${memory.lastEntry})`, aspect] };
    }
    if (!subject) {
      const inferred = this.documentWithoutName(message, matches, memory);
      if (inferred) ({ subject, confidence } = inferred);
    }
    if (!subject) {
      const info = mentions.find((m) => m.document.startsWith('info-'));
      if (info) return { entries: [this.defaultEntry.get(info.document)!], confidence: 0.8, evidence: [info.pattern] };
      const general = aspect && this.generalQuestion(message, matches, aspect);
      return general ? { entries: [general], confidence: 0.65, evidence: [aspect] } : null;
    }

    const primary = this.entryFor(subject, matches);
    if (!primary) return null;
    if (primary.situationMatched || (this.entriesByDocument.get(subject.document)?.length ?? 0) === 1) confidence += 0.1;
    const entries = [primary.id];
    const second = documents.find((m) => m.document !== subject.document && m.score >= 1.5 && m.score >= subject.score - 0.5);
    if (second) {
      const other = this.entryFor(second, matches);
      if (other?.situationMatched && other.id !== primary.id) entries.push(other.id);
    }
    return { entries, aspect, confidence, evidence: [subject.pattern, ...primary.evidence, ...(aspect ? [aspect] : [])] };
  }

  /**
   * "pendatang dari Jakarta, bikin KTP Palu gmn": the move is what the
   * message is about, though it names the KTP. A moving situation (in, out,
   * within the city) makes the move the subject unless the named document
   * has a weightier situation of its own ("KK hilang waktu pindahan").
   */
  private ownerOfStrongestSituation(matches: Match[], named: DocumentMention | undefined): DocumentMention | undefined {
    // Only cards that carry an address (KTP, KK) move with their holder.
    if (!named || named.document === MOVING || !this.entriesByDocument.get(named.document)?.some((e) => e.situations.length > 0)) return undefined;
    const situations = matches.filter((m) => m.group === 'situations' && m.key !== 'baru');
    const ownOnes = situations.filter((m) => this.situationDocuments.get(m.key)?.has(named.document));
    const strongest = situations
      .filter((m) => this.situationDocuments.get(m.key)?.size === 1 && this.situationDocuments.get(m.key)!.has(MOVING))
      .sort((a, b) => (SITUATION_WEIGHT[b.key] ?? 1) - (SITUATION_WEIGHT[a.key] ?? 1))[0];
    if (!strongest) return undefined;
    const ownWeight = Math.max(0, ...ownOnes.map((m) => SITUATION_WEIGHT[m.key] ?? 1));
    if (ownWeight >= (SITUATION_WEIGHT[strongest.key] ?? 1)) return undefined;
    const [document] = this.situationDocuments.get(strongest.key)!;
    return { document: document!, start: strongest.start, end: strongest.end, score: named.score, pattern: strongest.pattern };
  }

  /**
   * No document named: a life event with a purpose ("anak saya baru lahir,
   * urus apa?"), a situation only one document has ("mau pisah dari KK
   * orang tua"), or a follow-up to the previous answer ("kalau hilang?").
   */
  private documentWithoutName(message: Normalized, matches: Match[], memory: DialogueMemory): { subject: DocumentMention; confidence: number } | undefined {
    const event = matches.find((m) => m.group === 'events');
    const purposeful =
      matches.some((m) => m.group === 'aspects') || message.words.some((w) => ['surat', 'dokumen', 'lapor', 'melapor', 'daftar', 'catat', 'dicatat', 'berkas', 'urus'].includes(w));
    if (event && purposeful) return { subject: { document: EVENT_DOCUMENT[event.key]!, start: event.start, end: event.end, score: 0, pattern: event.pattern }, confidence: 0.7 };

    const exclusive = matches.find((m) => m.group === 'situations' && m.key !== 'baru' && m.key !== 'ubah' && this.situationDocuments.get(m.key)?.size === 1);
    if (exclusive) {
      const [document] = this.situationDocuments.get(exclusive.key)!;
      return { subject: { document: document!, start: exclusive.start, end: exclusive.end, score: 0, pattern: exclusive.pattern }, confidence: 0.7 };
    }

    if (memory.lastDocument && matches.some((m) => m.group === 'situations' || m.group === 'aspects')) {
      return { subject: { document: memory.lastDocument, start: 0, end: 0, score: 0, pattern: `(lanjutan: ${memory.lastDocument})` }, confidence: 0.75 };
    }

    // "surat kehilangan dari polisi sudah ada, bawa apa lagi?" is about a KTP; a bare "kalau hilang?" is too thin to answer.
    const known = matches.find((m) => m.group === 'situations' && this.situationDefaults[m.key]);
    if (known) {
      const informative = message.words.filter((w, i) => !this.fillers.has(w) && !this.fillers.has(message.stems[i]!)).length;
      const subject = { document: this.situationDefaults[known.key]!, start: known.start, end: known.end, score: 0, pattern: known.pattern };
      return { subject, confidence: informative >= 3 ? 0.6 : 0.3 };
    }

    return undefined;
  }

  /** "perlu siapin uang ga kalau ke capil": a cost or time question about the office in general. */
  private generalQuestion(message: Normalized, matches: Match[], aspect: Aspect): string | undefined {
    const informative = message.words.filter((w, i) => !this.fillers.has(w) && !this.fillers.has(message.stems[i]!));
    const aspectWords = new Set(matches.filter((m) => m.group === 'aspects').flatMap((m) => message.words.slice(m.start, m.end)));
    const about = message.words.some((w, i) => OFFICE_CONTEXT.has(w) || OFFICE_CONTEXT.has(message.stems[i]!)) || informative.every((w) => aspectWords.has(w));
    if (!about) return undefined;
    if (aspect === 'biaya') return this.defaultEntry.get('info-biaya');
    if (aspect === 'waktu') return this.defaultEntry.get('info-waktu');
    return this.defaultEntry.get('info-kantor');
  }

  /** The entry of a document that fits the situation in the message best. */
  private entryFor(mention: DocumentMention, matches: Match[]): { id: string; situationMatched: boolean; evidence: string[] } | null {
    const { document } = mention;
    const explicit = matches.filter((m) => m.group === 'situations');
    if (CORRECTABLE.has(document) && explicit.some((m) => m.key === 'salah') && this.entriesByDocument.has(CORRECTED_BY)) {
      return { id: this.defaultEntry.get(CORRECTED_BY)!, situationMatched: true, evidence: explicit.filter((m) => m.key === 'salah').map((m) => m.pattern) };
    }
    const candidates = this.entriesByDocument.get(document);
    if (!candidates?.length) return null;
    const situations = new Map<string, { weight: number; pattern: string }>();
    for (const m of explicit) {
      const distance = m.start >= mention.end ? m.start - mention.end : mention.start - m.end;
      const weight = (SITUATION_WEIGHT[m.key] ?? 1) * (distance <= 3 ? 1.5 : 1);
      if ((situations.get(m.key)?.weight ?? 0) < weight) situations.set(m.key, { weight, pattern: m.pattern });
    }
    if (situations.size === 0) {
      for (const m of matches) {
        const implied = m.group === 'events' ? EVENT_SITUATION[document]?.[m.key] : undefined;
        if (implied) situations.set(implied, { weight: SITUATION_WEIGHT[implied] ?? 1, pattern: m.pattern });
      }
    }
    let best: { id: string; weight: number; pattern?: string } = { id: this.defaultEntry.get(document)!, weight: 0 };
    for (const entry of candidates) {
      for (const situation of entry.situations) {
        const found = situations.get(situation);
        if (found && found.weight > best.weight) best = { id: entry.id, weight: found.weight, pattern: found.pattern };
      }
    }
    return { id: best.id, situationMatched: best.weight > 0, evidence: best.pattern ? [best.pattern] : [] };
  }

  private aspect(matches: Match[]): Aspect | undefined {
    const order: Aspect[] = ['biaya', 'waktu', 'lokasi'];
    for (const aspect of order) if (matches.some((m) => m.group === 'aspects' && m.key === aspect)) return aspect;
    if (matches.some((m) => m.group === 'documents' && m.key === 'info-biaya')) return 'biaya';
    if (matches.some((m) => m.group === 'documents' && m.key === 'info-waktu')) return 'waktu';
    return undefined;
  }

  /**
   * Another agency's service is the subject unless a Dukcapil document is
   * more clearly the subject ("syarat bikin SIM pakai KTP" is about a SIM).
   */
  private outOfScope(message: Normalized, matches: Match[], topic: Topic | null): { topic: { topic: string; pointer: string }; pattern: string } | null {
    const foreign = matches.filter((m) => m.group === 'outOfScope').sort((a, b) => b.end - b.start - (a.end - a.start));
    const first = foreign[0];
    if (!first) return null;
    if (topic) {
      const best = this.documentMentions(message, matches).find((m) => !m.document.startsWith('info-'));
      const foreignScore = this.subjectScore(message, matches, { document: '', start: first.start, end: first.end });
      // A document named outright ("akta kematian") holds its own against a service mentioned in passing.
      const named = best && !matches.some((m) => m.group === 'genericDocuments' && m.start === best.start);
      if (best && best.score > foreignScore - (named ? 0.25 : 0)) return null;
    }
    return { topic: { topic: first.key, pointer: this.pointers[first.key]! }, pattern: first.pattern };
  }

  /** Entries ranked by the share of the message's informative words they contain. */
  private lexicalRanking(message: Normalized): { id: string; coverage: number }[] {
    const terms = [...new Set(message.stems.filter((s) => !this.fillers.has(s) && s.length > 1))];
    if (terms.length === 0) return [];
    const total = terms.reduce((sum, term) => sum + this.lexical.idf(term), 0);
    if (total === 0) return [];
    return this.lexical
      .tfidfs(terms)
      .map((score, index) => ({ id: this.lexicalIds[index]!, coverage: score / total }))
      .filter((ranked) => ranked.coverage > 0)
      .sort((a, b) => b.coverage - a.coverage)
      .slice(0, 5);
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
