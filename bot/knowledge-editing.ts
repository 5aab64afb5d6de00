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
 * would otherwise silently undo someone else's change.
 */
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

/** Checks an entry as typed by an editor; throws with every field problem listed. */
export function validEntry(input: unknown): Entry {
  const parsed = entrySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new KnowledgeEditError('Entri belum lengkap atau ada isian yang salah.', 400, fields);
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

  /** Creates a draft, or saves a new text into an editable draft of the same author (or any draft, for reviewers). */
  async saveDraft(by: Editor, input: { draftId?: string; entry: unknown }): Promise<Draft> {
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
    const draft = await store.drafts.create({ entryId: entry.id, baseVersion: current && !current.withdrawn ? current.version : null, entry, authorId: by.id });
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
