/**
 * How the knowledge base changes: office staff write drafts, a supervisor or
 * admin approves them, and approval publishes. Every step is checked here
 * (not in the pages), written to the audit log, and announced on the event
 * bus so every running instance reloads at once:
 *
 *   draft ──submit──▶ submitted ──approve──▶ approved (published)
 *     ▲                   └──reject (with a comment)──▶ rejected ──edit──┘
 *
 * Any staff member may propose (agents hear the questions first); only
 * supervisors and admins publish, roll back or withdraw. A draft written
 * against an older published version is refused at approval: the reviewer
 * would otherwise silently undo someone else's change; its author looks at
 * the newer version and moves the draft onto it (rebase).
 *
 * A whole file of entries (importEntries) is checked row by row first and
 * applied only when every row is valid, each changed entry through the same
 * steps as a hand-made draft, with a report for every row.
 */
import type { z } from 'zod';
import { entrySchema, type Entry } from '../knowledge/schema.js';
import type { EventBus } from './bus.js';
import type { KnowledgeBase } from './knowledge-base.js';
import { maskPersonalData } from './personal-data.js';
import { hasRole } from './roles.js';
import type { Draft, EntryVersion, Store, User } from './store/types.js';

export type Editor = Pick<User, 'id' | 'role'>;

/** A refused edit, with a message for the person who tried (Indonesian) and the HTTP status that fits. */
export class KnowledgeEditError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409,
    /** Field-level problems of an invalid entry: `requirements.2` → "…". */
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * Field problems in words office staff read (zod's own messages speak of
 * "string" and ">=3"). Messages written in the schema itself win over these.
 */
const plainMessage: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') return issue.input === undefined || issue.input === null || issue.input === '' ? 'wajib diisi' : 'isian tidak sesuai';
  if (issue.code === 'too_small') {
    const min = Number(issue.minimum);
    if (issue.origin === 'string') return min <= 1 ? 'wajib diisi' : `terlalu pendek (paling sedikit ${min} huruf)`;
    if (issue.origin === 'array') return `isi paling sedikit ${min} baris`;
    return issue.inclusive ? `paling kecil ${min}` : `harus lebih dari ${min}`;
  }
  if (issue.code === 'too_big') return issue.origin === 'string' ? `terlalu panjang (paling banyak ${Number(issue.maximum)} huruf)` : `paling besar ${Number(issue.maximum)}`;
  if (issue.code === 'unrecognized_keys') return `kolom tidak dikenal: ${issue.keys.join(', ')}`;
  return 'isian tidak sesuai';
};

/** Checks an entry as typed by an editor; throws with every field problem listed. */
export function validEntry(input: unknown): Entry {
  const { entry, problems } = checkEntry(input);
  if (entry && !problems.length) return entry;
  throw new KnowledgeEditError('Entri belum lengkap atau ada isian yang salah.', 400, problems);
}

/** The schema, plus what its shape checks miss: 2026-13-01 looks like a date but is none (citizens would read "1 undefined 2026"). */
function checkEntry(input: unknown): { entry?: Entry; problems: { path: string; message: string }[] } {
  const parsed = entrySchema.safeParse(input, { error: plainMessage });
  if (!parsed.success) return { problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) };
  const [year, month, day] = parsed.data.lastReviewed.split('-').map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  const real = date.getUTCMonth() === month! - 1 && date.getUTCDate() === day;
  return { entry: parsed.data, problems: real ? [] : [{ path: 'lastReviewed', message: 'tanggal tidak ada di kalender' }] };
}

/** One entry of an imported file, numbered as the person who wrote the file counts (spreadsheet row, or position in the JSON list). */
export interface ImportRow {
  row: number;
  entry: unknown;
}

export interface ImportRowResult {
  row: number;
  entryId?: string;
  title?: string;
  /** Compared with what is published now. */
  change: 'new' | 'changed' | 'unchanged' | 'invalid';
  /** What the import did with the row: nothing happens to any row while one is invalid, or on a dry run. */
  outcome: 'published' | 'submitted' | 'unchanged' | 'not-applied' | 'failed';
  errors: { path: string; message: string }[];
  draftId?: string;
  version?: number;
}

export interface ImportReport {
  /** False when any row was invalid (then nothing at all was changed) or on a dry run. */
  applied: boolean;
  /** Reviewers' imports publish; everyone else's wait as submitted drafts. */
  publishes: boolean;
  rows: ImportRowResult[];
  /** Published entries the file does not mention: an import never removes anything. */
  untouched: string[];
}

/** Entries compared by content, whatever order their keys were stored in. */
export function sameEntry(a: Entry, b: Entry): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => [k, canonical(v)])) : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export interface KnowledgeEditorDeps {
  store: Store;
  /** This instance's knowledge base: invalidated at once after a publish. */
  knowledge: KnowledgeBase;
  /** Tells the other instances (they also notice the revision within seconds without it). */
  events?: EventBus;
}

export class KnowledgeEditor {
  constructor(private readonly deps: KnowledgeEditorDeps) {}

  /**
   * Creates a draft, or saves a new text into an editable draft of the same author (or any draft, for reviewers).
   * `basedOn`: the published version the editor's form was filled from; when someone published since, the
   * draft keeps that older base, so approval refuses it until its author has looked at the newer version.
   * `isNew`: the editor meant a new entry, so an id already in use is refused instead of replacing that entry.
   */
  async saveDraft(by: Editor, input: { draftId?: string; entry: unknown; basedOn?: number | null; isNew?: boolean }): Promise<Draft> {
    const entry = validEntry(input.entry);
    const { store } = this.deps;
    if (input.draftId) {
      const draft = await this.draft(input.draftId);
      if (draft.authorId !== by.id && !mayReview(by)) throw new KnowledgeEditError('Draf ini milik petugas lain.', 403);
      if (draft.entryId !== entry.id) throw new KnowledgeEditError('Kode entri tidak boleh diubah.', 400, [{ path: 'id', message: 'kode entri tetap' }]);
      // A rejected draft becomes a draft again when its author edits it.
      const saved = await store.drafts.update(draft.id, { entry, status: 'draft' }, ['draft', 'rejected', 'submitted']);
      if (!saved) throw new KnowledgeEditError('Draf ini sudah disetujui dan tidak bisa diubah lagi. Buat draf baru.', 409);
      await this.audit(by, 'draft.save', entry.id, `Draf "${entry.title}" disimpan`);
      return saved;
    }
    const current = await store.knowledge.get(entry.id);
    if (input.isNew && current) {
      throw new KnowledgeEditError(`Kode "${entry.id}" sudah dipakai entri "${current.entry.title}". Pilih kode lain, atau ubah entri itu.`, 409, [{ path: 'id', message: 'kode sudah dipakai' }]);
    }
    const published = current && !current.withdrawn ? current.version : null;
    const draft = await store.drafts.create({ entryId: entry.id, baseVersion: input.basedOn !== undefined ? input.basedOn : published, entry, authorId: by.id });
    await this.audit(by, 'draft.create', entry.id, current ? `Draf perubahan "${entry.title}" dibuat` : `Draf entri baru "${entry.title}" dibuat`);
    return draft;
  }

  /** Sends a draft to the reviewers. */
  async submit(by: Editor, draftId: string): Promise<Draft> {
    const draft = await this.draft(draftId);
    if (draft.authorId !== by.id && !mayReview(by)) throw new KnowledgeEditError('Draf ini milik petugas lain.', 403);
    const submitted = await this.deps.store.drafts.update(draftId, { status: 'submitted' }, ['draft', 'rejected']);
    if (!submitted) throw new KnowledgeEditError('Draf ini sudah diajukan atau sudah disetujui.', 409);
    await this.audit(by, 'draft.submit', draft.entryId, `Draf "${draft.entry.title}" diajukan untuk disetujui`);
    return submitted;
  }

  /** Approves a submitted draft, which publishes it at once on every instance. */
  async approve(by: Editor, draftId: string, note?: string): Promise<EntryVersion> {
    requireReviewer(by);
    const { store } = this.deps;
    const draft = await this.draft(draftId);
    if (draft.status !== 'submitted') throw new KnowledgeEditError('Hanya draf yang sudah diajukan yang bisa disetujui.', 409);
    const current = await store.knowledge.get(draft.entryId);
    const currentVersion = current && !current.withdrawn ? current.version : null;
    if (currentVersion !== draft.baseVersion) {
      throw new KnowledgeEditError(
        `Entri ini sudah berubah (versi ${currentVersion ?? 'dihapus'}) sejak draf dibuat dari versi ${draft.baseVersion ?? 'baru'}. Minta penulis membuat draf baru dari versi terkini.`,
        409,
      );
    }
    // The conditional update is the lock: of two reviewers approving at once, one wins.
    const approved = await store.drafts.update(draftId, { status: 'approved', reviewerId: by.id, ...(note ? { reviewComment: note } : {}) }, ['submitted']);
    if (!approved) throw new KnowledgeEditError('Draf ini baru saja disetujui atau dikembalikan oleh peninjau lain.', 409);
    const version = await store.knowledge.publish(draft.entry, by.id, note || `Disetujui dari draf ${draft.id}`);
    await this.audit(by, 'entry.publish', draft.entryId, `"${draft.entry.title}" versi ${version.version} diterbitkan`);
    this.published();
    return version;
  }

  /** Sends a submitted draft back to its author with a comment. */
  async reject(by: Editor, draftId: string, comment: string): Promise<Draft> {
    requireReviewer(by);
    if (!comment.trim()) throw new KnowledgeEditError('Tulis alasan agar penulis tahu apa yang perlu diperbaiki.', 400, [{ path: 'comment', message: 'wajib diisi' }]);
    const draft = await this.draft(draftId);
    const rejected = await this.deps.store.drafts.update(draftId, { status: 'rejected', reviewerId: by.id, reviewComment: comment.trim() }, ['submitted']);
    if (!rejected) throw new KnowledgeEditError('Hanya draf yang sudah diajukan yang bisa dikembalikan.', 409);
    await this.audit(by, 'draft.reject', draft.entryId, `Draf "${draft.entry.title}" dikembalikan: ${comment.trim()}`);
    return rejected;
  }

  /** Publishes an earlier version's content again, as a new version (history is never rewritten). */
  async rollback(by: Editor, entryId: string, version: number): Promise<EntryVersion> {
    requireReviewer(by);
    const { store } = this.deps;
    const old = (await store.knowledge.versions(entryId)).find((v) => v.version === version);
    if (!old || old.withdrawn) throw new KnowledgeEditError('Versi itu tidak ditemukan.', 404);
    const current = await store.knowledge.get(entryId);
    if (current && !current.withdrawn && sameEntry(current.entry, old.entry)) throw new KnowledgeEditError(`Isi versi ${version} sama dengan yang sedang tayang; tidak ada yang perlu dikembalikan.`, 409);
    const published = await store.knowledge.publish(old.entry, by.id, `Dikembalikan ke versi ${version}`);
    await this.audit(by, 'entry.rollback', entryId, `"${old.entry.title}" dikembalikan ke versi ${version} (menjadi versi ${published.version})`);
    this.published();
    return published;
  }

  /** Takes an entry out of the bot's answers; its history stays and a rollback brings it back. */
  async withdraw(by: Editor, entryId: string, note?: string): Promise<void> {
    requireReviewer(by);
    if (!(await this.deps.store.knowledge.withdraw(entryId, by.id, note))) throw new KnowledgeEditError('Entri itu tidak sedang tayang.', 404);
    await this.audit(by, 'entry.withdraw', entryId, `Entri ${entryId} ditarik${note ? `: ${note}` : ''}`);
    this.published();
  }

  /**
   * Adds citizens' wordings to an entry's phrases (from the unanswered list).
   * A reviewer's addition is published at once; anyone else's waits as a submitted draft.
   */
  async addPhrases(by: Editor, entryId: string, phrases: string[]): Promise<{ draft: Draft; published?: EntryVersion }> {
    const current = await this.deps.store.knowledge.get(entryId);
    if (!current || current.withdrawn) throw new KnowledgeEditError('Entri itu tidak ditemukan.', 404);
    const known = new Set(current.entry.phrases.map((p) => p.toLowerCase()));
    const added = [...new Set(phrases.map((p) => maskPersonalData(p).trim()).filter((p) => p.length >= 2 && !known.has(p.toLowerCase())))];
    const entry = { ...current.entry, phrases: [...current.entry.phrases, ...added] };
    const draft = await this.saveDraft(by, { entry });
    const submitted = await this.submit(by, draft.id);
    if (!mayReview(by)) return { draft: submitted };
    const published = await this.approve(by, draft.id, `${added.length} frasa warga ditambahkan dari daftar pertanyaan tak terjawab`);
    return { draft: { ...submitted, status: 'approved' }, published };
  }

  /**
   * Moves a stale draft onto the version published now, after its author (or a reviewer) has
   * compared the two: it becomes an editable draft again and must be submitted anew.
   */
  async rebase(by: Editor, draftId: string): Promise<Draft> {
    const draft = await this.draft(draftId);
    if (draft.authorId !== by.id && !mayReview(by)) throw new KnowledgeEditError('Draf ini milik petugas lain.', 403);
    const current = await this.deps.store.knowledge.get(draft.entryId);
    const currentVersion = current && !current.withdrawn ? current.version : null;
    if (currentVersion === draft.baseVersion) throw new KnowledgeEditError('Draf ini sudah mengikuti versi terkini.', 409);
    const moved = await this.deps.store.drafts.update(draftId, { baseVersion: currentVersion, status: 'draft' }, ['draft', 'rejected', 'submitted']);
    if (!moved) throw new KnowledgeEditError('Draf ini sudah disetujui dan tidak bisa diubah lagi.', 409);
    await this.audit(by, 'draft.rebase', draft.entryId, `Draf "${draft.entry.title}" disesuaikan ke versi ${currentVersion ?? 'baru'}`);
    return moved;
  }

  /**
   * Imports many entries at once (a whole knowledge base from a file). Every row is checked
   * first; if any is invalid, nothing is changed and every row says why. Otherwise each new
   * or changed entry becomes a submitted draft, or, for a reviewer, is published; unchanged
   * ones are left alone and entries the file does not mention are never removed. A row that
   * still fails while being applied (someone published it meanwhile) is reported as failed.
   */
  async importEntries(by: Editor, rows: ImportRow[], options: { dryRun?: boolean } = {}): Promise<ImportReport> {
    if (rows.length === 0) throw new KnowledgeEditError('Berkas tidak berisi entri.', 400);
    const { store } = this.deps;
    const published = new Map((await store.knowledge.published()).map((entry) => [entry.id, entry]));
    const seen = new Map<string, number>();
    const checked = rows.map((row) => {
      const { entry, problems } = checkEntry(row.entry);
      if (!entry) {
        const raw = row.entry as { id?: unknown; title?: unknown } | null;
        const result: ImportRowResult = { row: row.row, change: 'invalid', outcome: 'not-applied', errors: problems };
        if (typeof raw?.id === 'string') result.entryId = raw.id;
        if (typeof raw?.title === 'string') result.title = raw.title;
        return { result, entry: undefined };
      }
      const errors: ImportRowResult['errors'] = [...problems];
      const twin = seen.get(entry.id);
      if (twin !== undefined) errors.push({ path: 'id', message: `kode ${entry.id} sudah dipakai di baris ${twin}` });
      seen.set(entry.id, row.row);
      const current = published.get(entry.id);
      const change: ImportRowResult['change'] = errors.length ? 'invalid' : !current ? 'new' : sameEntry(current, entry) ? 'unchanged' : 'changed';
      return { result: { row: row.row, entryId: entry.id, title: entry.title, change, outcome: change === 'unchanged' ? 'unchanged' : 'not-applied', errors } as ImportRowResult, entry };
    });
    // Related entries must exist, in the knowledge base or in the same file.
    const known = new Set([...published.keys(), ...seen.keys()]);
    for (const { result, entry } of checked) {
      entry?.related.forEach((id, index) => {
        if (!known.has(id)) result.errors.push({ path: `related.${index}`, message: `entri terkait "${id}" tidak ada` });
      });
      if (result.errors.length) result.change = 'invalid';
    }
    const report: ImportReport = {
      applied: false,
      publishes: mayReview(by),
      rows: checked.map((c) => c.result),
      untouched: [...published.keys()].filter((id) => !seen.has(id)),
    };
    if (options.dryRun || report.rows.some((row) => row.change === 'invalid')) return report;

    report.applied = true;
    for (const { result, entry } of checked) {
      if (!entry || result.change === 'unchanged') continue;
      try {
        const basedOn = result.change === 'new' ? null : (await store.knowledge.get(entry.id))!.version;
        const draft = await this.saveDraft(by, { entry, basedOn });
        result.draftId = draft.id;
        await this.submit(by, draft.id);
        result.outcome = 'submitted';
        if (report.publishes) {
          result.version = (await this.approve(by, draft.id, 'Impor berkas basis pengetahuan')).version;
          result.outcome = 'published';
        }
      } catch (error) {
        // Reported on its row, and the other rows still go ahead: the report says exactly what happened.
        if (result.outcome !== 'submitted') result.outcome = 'failed';
        result.errors.push({ path: '', message: error instanceof KnowledgeEditError ? error.message : 'gangguan saat menyimpan; coba impor baris ini lagi' });
      }
    }
    const count = (outcome: ImportRowResult['outcome']) => report.rows.filter((row) => row.outcome === outcome).length;
    await this.audit(by, 'knowledge.import', 'knowledge', `Impor ${rows.length} entri: ${count('published')} diterbitkan, ${count('submitted')} diajukan, ${count('unchanged')} tidak berubah, ${count('failed')} gagal`);
    return report;
  }

  private async draft(id: string): Promise<Draft> {
    const draft = await this.deps.store.drafts.get(id);
    if (!draft) throw new KnowledgeEditError('Draf tidak ditemukan.', 404);
    return draft;
  }

  private async audit(by: Editor, action: string, target: string, summary: string): Promise<void> {
    await this.deps.store.audit.add({ actorId: by.id, action, target, summary: maskPersonalData(summary) });
  }

  private published(): void {
    this.deps.knowledge.invalidate();
    this.deps.events?.emit('knowledge');
  }
}

export function mayReview(by: Pick<User, 'role'>): boolean {
  return hasRole(by.role, 'supervisor');
}

function requireReviewer(by: Editor): void {
  if (!mayReview(by)) throw new KnowledgeEditError('Hanya supervisor atau admin yang bisa menerbitkan perubahan.', 403);
}
