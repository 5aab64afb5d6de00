/**
 * The knowledge-base editor (issue 5): office staff keep the bot's answers
 * right without a programmer. Every rule (who may publish, stale drafts,
 * audit log, reloading every instance) lives in bot/knowledge-editing.ts;
 * these pages call it and show its refusals next to the fields.
 *
 *   GET  /knowledge                          entries (search, "needs review" flag), drafts waiting, my drafts
 *   GET  /knowledge/entries/:id              one entry: review date, drafts, the answer as citizens see it
 *   GET  /knowledge/entries/:id/history      versions with a per-field diff
 *   POST /knowledge/entries/:id/rollback     supervisor: publish an earlier version again
 *   POST /knowledge/entries/:id/withdraw     supervisor: take the entry out of the bot's answers
 *   GET  /knowledge/try                      "try a question": which entry the bot picks, and why
 *   plus the edit form and drafts (knowledge-edit.ts) and import/export (knowledge-import.ts)
 */
import type { Request, Response, Router } from 'express';
import type { Store } from '../../bot/store/types.js';
import { wantsJson } from '../access.js';
import { field, flashFrom, formatTime, type AdminContext } from '../context.js';
import { editRoutes } from './knowledge-edit.js';
import { importRoutes } from './knowledge-import.js';
import { officeToday, refused, reviewer, staffNames, userOf, wholeNumber, type KnowledgeDeps } from './knowledge-common.js';
import { diffEntries, DRAFT_STATUS, matchesSearch, previewOf, reviewState, tryView } from './knowledge-view.js';

const NOTICES = {
  terbit: 'Perubahan disetujui dan terbit. Bot langsung memakai isi baru, di semua server, tanpa restart.',
  kembali: 'Entri dikembalikan ke versi lama sebagai versi baru. Bot langsung memakai isi itu.',
  ditarik: 'Entri ditarik: bot tidak lagi menjawab dengan entri ini. Kembalikan lewat Riwayat versi bila perlu.',
};

const FILTERS = [
  { value: '', label: 'Semua entri' },
  { value: 'tinjau', label: 'Perlu ditinjau ulang' },
  { value: 'draf', label: 'Ada draf menunggu' },
];

export function knowledgeRoutes(router: Router, ctx: AdminContext, deps: KnowledgeDeps): void {
  const { base, store, render, access } = ctx;
  const { knowledge, editor } = deps;
  const agent = access.requireRole('agent');
  const supervisor = access.requireRole('supervisor');

  router.get('/knowledge', agent, async (req, res) => {
    const me = userOf(res);
    const query = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
    const filter = typeof req.query.saring === 'string' ? req.query.saring : '';
    const { timeZone, today } = await officeToday(store);
    const [entries, submitted, mine, names] = await Promise.all([
      store.knowledge.published(),
      store.drafts.list({ status: ['submitted'], limit: 100 }),
      store.drafts.list({ authorId: me.id, status: ['draft', 'rejected'], limit: 50 }),
      staffNames(store),
    ]);
    const waiting = new Map<string, number>();
    for (const draft of submitted) waiting.set(draft.entryId, (waiting.get(draft.entryId) ?? 0) + 1);
    const rows = entries
      .map((entry) => ({ id: entry.id, title: entry.title, document: entry.document, review: reviewState(entry, today), waiting: waiting.get(entry.id) ?? 0, requirements: entry.requirements.length, phrases: entry.phrases.length, entry }))
      .filter((row) => matchesSearch(row.entry, query))
      .filter((row) => (filter === 'tinjau' ? row.review.overdue : filter === 'draf' ? row.waiting > 0 : true))
      .sort((a, b) => Number(b.review.overdue) - Number(a.review.overdue) || a.title.localeCompare(b.title, 'id'))
      .map(({ entry: _entry, ...row }) => row);
    const draftRow = (draft: (typeof submitted)[number]) => ({
      id: draft.id,
      title: draft.entry.title,
      entryId: draft.entryId,
      author: names.get(draft.authorId) ?? 'petugas',
      at: formatTime(draft.updatedAt, timeZone),
      status: DRAFT_STATUS[draft.status],
      comment: draft.status === 'rejected' ? draft.reviewComment ?? '' : '',
    });
    render.page(res, 'knowledge', {
      title: 'Basis pengetahuan',
      nav: 'knowledge',
      styles: ['knowledge.css'],
      flash: flashFrom(req, NOTICES),
      query,
      filter,
      filters: FILTERS,
      rows,
      total: entries.length,
      overdue: entries.filter((entry) => reviewState(entry, today).overdue).length,
      submitted: submitted.map(draftRow),
      mine: mine.map(draftRow),
      withdrawn: await withdrawnEntries(store),
      canReview: reviewer(res),
    });
  });

  editRoutes(router, ctx, deps);
  importRoutes(router, ctx, deps);

  router.get('/knowledge/try', agent, async (req, res) => {
    const question = typeof req.query.tanya === 'string' ? req.query.tanya.slice(0, 500) : '';
    const snapshot = await knowledge.current();
    const titles = new Map([...snapshot.entries.values()].map((entry) => [entry.id, entry.title]));
    render.page(res, 'knowledge-try', {
      title: 'Coba pertanyaan',
      nav: 'knowledge',
      styles: ['knowledge.css'],
      question,
      result: question.trim() ? tryView(snapshot.understander.understand(question), titles) : null,
      readAs: question.trim() ? snapshot.understander.normalize(question).words.join(' ') : '',
      examples: ['ktp sy ilang gmn urusnya', 'bikin kk baru syaratnya apa', 'biaya akte lahir brp', 'mau perpanjang sim'],
    });
  });

  router.get('/knowledge/entries/:id', agent, async (req, res) => {
    const id = String(req.params.id);
    const current = await store.knowledge.get(id);
    if (!current) return notFound(req, res);
    const me = userOf(res);
    const { timeZone, today } = await officeToday(store);
    const [drafts, names, snapshot] = await Promise.all([store.drafts.list({ entryId: id, limit: 30 }), staffNames(store), knowledge.current()]);
    const open = drafts.filter((draft) => draft.status !== 'approved');
    const myDraft = open.find((draft) => draft.authorId === me.id && draft.status !== 'submitted');
    render.page(res, 'knowledge-entry', {
      title: current.entry.title,
      nav: 'knowledge',
      styles: ['knowledge.css'],
      flash: flashFrom(req, NOTICES),
      entry: current.entry,
      version: current.version,
      withdrawn: Boolean(current.withdrawn),
      publishedAt: formatTime(current.at, timeZone),
      publishedBy: names.get(current.by) ?? 'petugas',
      review: reviewState(current.entry, today),
      drafts: open.map((draft) => ({ id: draft.id, author: names.get(draft.authorId) ?? 'petugas', at: formatTime(draft.updatedAt, timeZone), status: DRAFT_STATUS[draft.status], mine: draft.authorId === me.id })),
      editHref: myDraft ? `${base}/knowledge/entries/${id}/edit?draf=${myDraft.id}` : `${base}/knowledge/entries/${id}/edit`,
      continuing: Boolean(myDraft),
      preview: current.withdrawn ? null : previewOf(current.entry, snapshot.office),
      canReview: reviewer(res),
    });
  });

  const history = async (req: Request, res: Response, status = 200, error: string | null = null) => {
    const id = String(req.params.id);
    const versions = await store.knowledge.versions(id);
    if (!versions.length) return notFound(req, res);
    const { timeZone } = await officeToday(store);
    const names = await staffNames(store);
    const current = versions[0]!.withdrawn ? null : versions[0]!;
    render.page(
      res,
      'knowledge-history',
      {
        title: `Riwayat: ${versions[0]!.entry.title}`,
        nav: 'knowledge',
        styles: ['knowledge.css'],
        flash: error ? { kind: 'error', text: error } : flashFrom(req, NOTICES),
        entryId: id,
        entryTitle: versions[0]!.entry.title,
        versions: versions.map((version, index) => {
          const previous = versions.slice(index + 1).find((older) => !older.withdrawn) ?? null;
          const diff = version.withdrawn ? [] : diffEntries(previous?.entry ?? null, version.entry).filter((d) => d.changed);
          return {
            version: version.version,
            at: formatTime(version.at, timeZone),
            by: names.get(version.by) ?? 'petugas',
            ...approvalNote(version.note),
            withdrawn: Boolean(version.withdrawn),
            current: version === current,
            first: previous === null,
            diff,
            canRollback: !version.withdrawn && version !== current,
          };
        }),
        canReview: reviewer(res),
      },
      status,
    );
  };

  router.get('/knowledge/entries/:id/history', agent, (req, res) => history(req, res));

  router.post('/knowledge/entries/:id/rollback', supervisor, async (req, res) => {
    const id = String(req.params.id);
    const version = wholeNumber(field(req, 'version'));
    try {
      if (version === null) return void (await history(req, res, 400, 'Pilih versi yang akan dikembalikan.'));
      await editor.rollback(userOf(res), id, version);
      res.redirect(303, `${base}/knowledge/entries/${encodeURIComponent(id)}/history?pesan=kembali`);
    } catch (error) {
      await refused(error, req, res, (status, message) => history(req, res, status, message));
    }
  });

  router.post('/knowledge/entries/:id/withdraw', supervisor, async (req, res) => {
    const id = String(req.params.id);
    try {
      await editor.withdraw(userOf(res), id, field(req, 'note').trim().slice(0, 300) || undefined);
      res.redirect(303, `${base}/knowledge/entries/${encodeURIComponent(id)}?pesan=ditarik`);
    } catch (error) {
      await refused(error, req, res, (status, message) => render.message(req, res, status, 'Entri tidak bisa ditarik', message));
    }
  });

  function notFound(req: Request, res: Response) {
    if (wantsJson(req)) return void res.status(404).json({ error: 'not_found', message: 'Entri tidak ditemukan.' });
    render.message(req, res, 404, 'Entri tidak ditemukan', 'Entri ini tidak ada (mungkin kodenya salah ketik). Kembali ke daftar basis pengetahuan.');
  }
}

/** "Disetujui dari draf <id>" (the editor's note on an approval) becomes words plus a link to that draft. */
function approvalNote(note: string | undefined): { note: string; draftId: string } {
  const match = /^Disetujui dari draf (\S+)$/u.exec(note ?? '');
  return match ? { note: 'Disetujui dari draf', draftId: match[1]! } : { note: note ?? '', draftId: '' };
}

/** Entries taken out of the bot's answers (found through the audit log: the store lists only published ones). */
async function withdrawnEntries(store: Store): Promise<{ id: string; title: string }[]> {
  const events = await store.audit.list({ action: 'entry.withdraw', limit: 200 });
  const out: { id: string; title: string }[] = [];
  for (const id of new Set(events.map((event) => event.target))) {
    const version = await store.knowledge.get(id);
    if (version?.withdrawn) out.push({ id, title: version.entry.title });
  }
  return out;
}
