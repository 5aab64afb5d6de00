/**
 * Writing and reviewing knowledge-base changes.
 *
 *   GET  /knowledge/new                       form for a new entry
 *   POST /knowledge/new                       save it as a draft (action=submit: and submit; action=preview: only show)
 *   GET  /knowledge/entries/:id/edit[?draf=]  the form, filled from the published entry or from one's draft
 *   POST /knowledge/entries/:id/edit          save as a draft (same actions)
 *   POST /knowledge/preview                   the form's live preview and before/after "try a question" (HTML fragment, for the page script)
 *   GET  /knowledge/drafts/:id[?tanya=]       a draft: what changed, the answer on WhatsApp and web chat, try a question before/after
 *   POST /knowledge/drafts/:id/submit         send to the reviewers
 *   POST /knowledge/drafts/:id/approve        supervisor: publish at once on every instance
 *   POST /knowledge/drafts/:id/reject         supervisor: back to the author with a comment
 *   POST /knowledge/drafts/:id/rebase         a stale draft follows the version published now
 *
 * Without JavaScript everything still works: the "Perbarui pratinjau" button
 * posts the form and shows the page again with the preview.
 */
import type { Request, Response, Router } from 'express';
import { formatDate } from '../../bot/answers.js';
import { KnowledgeEditError, mayReview, validEntry } from '../../bot/knowledge-editing.js';
import type { Draft } from '../../bot/store/types.js';
import type { Entry } from '../../knowledge/schema.js';
import { wantsJson } from '../access.js';
import { field, flashFrom, formatTime, type AdminContext } from '../context.js';
import { officeToday, refused, reviewer, staffNames, userOf, wholeNumber, type KnowledgeDeps } from './knowledge-common.js';
import {
  describeProblem,
  diffEntries,
  DRAFT_STATUS,
  EMPTY_FORM,
  entryToForm,
  errorsByField,
  formFromRequest,
  formToInput,
  previewOf,
  tryView,
  type EntryForm,
  type Preview,
} from './knowledge-view.js';

const NOTICES = {
  disimpan: 'Draf disimpan. Bot belum memakainya: ajukan bila sudah siap, agar supervisor atau admin bisa menyetujuinya.',
  diajukan: 'Draf diajukan. Bot memakai isi baru setelah supervisor atau admin menyetujuinya.',
  dikembalikan: 'Draf dikembalikan ke penulis bersama catatan Anda.',
  disesuaikan: 'Draf sekarang mengikuti versi yang tayang. Periksa perbedaannya, lalu ajukan lagi.',
};

interface FormState {
  form: EntryForm;
  isNew: boolean;
  draftId: string;
  /** The published version the form was filled from ('' for a new entry or an existing draft). */
  basedOn: string;
  errors: Record<string, string[]>;
  error: string | null;
}

export function editRoutes(router: Router, ctx: AdminContext, deps: KnowledgeDeps): void {
  const { base, store, render, access } = ctx;
  const { knowledge, editor } = deps;
  const agent = access.requireRole('agent');
  const supervisor = access.requireRole('supervisor');
  const draftUrl = (id: string, notice?: keyof typeof NOTICES) => `${base}/knowledge/drafts/${encodeURIComponent(id)}${notice ? `?pesan=${notice}` : ''}`;

  /** The answer preview of a form's entry, or what still keeps it from being one. */
  const livePreview = async (input: unknown): Promise<{ entry: Entry | null; preview: Preview | null; problems: string[] }> => {
    try {
      const entry = validEntry(input);
      return { entry, preview: previewOf(entry, (await knowledge.current()).office), problems: [] };
    } catch (error) {
      if (!(error instanceof KnowledgeEditError)) throw error;
      return { entry: null, preview: null, problems: error.fields.map(describeProblem) };
    }
  };

  /** "Try a question" now, and with `entry` in place (when given). */
  const compare = async (question: string, entry: Entry | null) => {
    const snapshot = await knowledge.current();
    const titles = new Map([...snapshot.entries.values()].map((e) => [e.id, e.title]));
    const before = tryView(snapshot.understander.understand(question), titles);
    if (!entry) return { question, before, after: null };
    titles.set(entry.id, entry.title);
    return { question, before, after: tryView((await knowledge.trial(entry)).understand(question), titles) };
  };

  type Extra = { preview?: Preview | null; problems?: string[]; comparison?: Awaited<ReturnType<typeof compare>> | null };
  const showForm = async (req: Request, res: Response, state: FormState, status = 200, extra: Extra = {}) => {
    const { today } = await officeToday(store);
    const entries = [...(await knowledge.current()).entries.values()];
    const id = String(req.params.id ?? '');
    const rank = (entryId: string) => (state.form.related.includes(entryId) ? state.form.related.indexOf(entryId) : state.form.related.length);
    render.page(
      res,
      'knowledge-edit',
      {
        title: state.isNew ? 'Entri baru' : `Ubah: ${state.form.title || id}`,
        nav: 'knowledge',
        styles: ['knowledge.css'],
        scripts: ['knowledge-edit.js'],
        ...state,
        formAction: state.isNew ? `${base}/knowledge/new` : `${base}/knowledge/entries/${encodeURIComponent(id)}/edit`,
        cancelHref: state.isNew ? `${base}/knowledge` : state.draftId ? draftUrl(state.draftId) : `${base}/knowledge/entries/${encodeURIComponent(id)}`,
        documents: [...new Set(entries.map((entry) => entry.document))].sort(),
        // The entry's own related ones first, in their order (the form sends them back in this order), then the rest by title.
        relatedOptions: entries
          .filter((entry) => entry.id !== state.form.id)
          .sort((a, b) => rank(a.id) - rank(b.id) || a.title.localeCompare(b.title, 'id'))
          .map((entry) => ({ id: entry.id, title: entry.title, checked: state.form.related.includes(entry.id) })),
        caseRows: [...state.form.cases, { when: '', then: '' }],
        lastReviewedText: state.form.lastReviewed ? formatDate(state.form.lastReviewed) : 'belum pernah',
        todayText: formatDate(today),
        preview: extra.preview ?? null,
        problems: extra.problems ?? [],
        comparison: extra.comparison ?? null,
        question: extra.comparison?.question ?? '',
        canReview: reviewer(res),
      },
      status,
    );
  };

  const blankState = (form: EntryForm, isNew: boolean): FormState => ({ form, isNew, draftId: '', basedOn: '', errors: {}, error: null });

  router.get('/knowledge/new', agent, (req, res) => showForm(req, res, blankState(structuredClone(EMPTY_FORM), true)));

  router.get('/knowledge/entries/:id/edit', agent, async (req, res) => {
    const id = String(req.params.id);
    const draftId = typeof req.query.draf === 'string' ? req.query.draf : '';
    const office = (await knowledge.current()).office;
    if (draftId) {
      const draft = await store.drafts.get(draftId);
      if (!draft || draft.entryId !== id) return render.message(req, res, 404, 'Draf tidak ditemukan', 'Draf ini tidak ada lagi. Kembali ke daftar basis pengetahuan.');
      if (draft.status === 'approved') return void res.redirect(303, draftUrl(draft.id));
      if (draft.authorId !== userOf(res).id && !reviewer(res)) return render.message(req, res, 403, 'Draf milik petugas lain', 'Hanya penulisnya, supervisor atau admin yang bisa mengubah draf ini.');
      return showForm(req, res, { ...blankState(entryToForm(draft.entry), false), draftId: draft.id }, 200, { preview: previewOf(draft.entry, office) });
    }
    const current = await store.knowledge.get(id);
    if (!current) return render.message(req, res, 404, 'Entri tidak ditemukan', 'Entri ini tidak ada. Kembali ke daftar basis pengetahuan.');
    const state = { ...blankState(entryToForm(current.entry), false), basedOn: current.withdrawn ? '' : String(current.version) };
    await showForm(req, res, state, 200, { preview: previewOf(current.entry, office) });
  });

  const save = (isNew: boolean) => async (req: Request, res: Response) => {
    const form = formFromRequest(req);
    if (!isNew) form.id = String(req.params.id);
    const draftId = field(req, 'draftId');
    const basedOnField = field(req, 'basedOn');
    const state: FormState = { form, isNew, draftId, basedOn: basedOnField, errors: {}, error: null };
    const input = formToInput(form, (await officeToday(store)).today);
    const action = field(req, 'action');
    if (action === 'preview') {
      const live = await livePreview(input);
      const question = field(req, 'tanya').trim().slice(0, 500);
      return showForm(req, res, state, 200, { ...live, comparison: question ? await compare(question, live.entry) : null });
    }
    const basedOn = draftId ? undefined : basedOnField === '' ? null : (wholeNumber(basedOnField) ?? undefined);
    try {
      let draft = await editor.saveDraft(userOf(res), { draftId: draftId || undefined, entry: input, basedOn, isNew });
      if (action === 'submit') draft = await editor.submit(userOf(res), draft.id);
      if (wantsJson(req)) return void res.status(201).json({ draft: { id: draft.id, status: draft.status, entryId: draft.entryId } });
      res.redirect(303, draftUrl(draft.id, action === 'submit' ? 'diajukan' : 'disimpan'));
    } catch (error) {
      await refused(error, req, res, (status, message, fields) => showForm(req, res, { ...state, error: message, errors: errorsByField(fields) }, status));
    }
  };
  router.post('/knowledge/new', agent, save(true));
  router.post('/knowledge/entries/:id/edit', agent, save(false));

  router.post('/knowledge/preview', agent, async (req, res) => {
    const input = formToInput(formFromRequest(req), (await officeToday(store)).today);
    const live = await livePreview(input);
    const question = field(req, 'tanya').trim().slice(0, 500);
    render.page(res, 'knowledge-live', { title: 'Pratinjau', ...live, comparison: question ? await compare(question, live.entry) : null });
  });

  const showDraft = async (req: Request, res: Response, status = 200, error: string | null = null) => {
    const draft = await store.drafts.get(String(req.params.id));
    if (!draft) return render.message(req, res, 404, 'Draf tidak ditemukan', 'Draf ini tidak ada. Kembali ke daftar basis pengetahuan.');
    const me = userOf(res);
    const canReview = mayReview(me);
    const [current, versions, names, { timeZone }] = await Promise.all([store.knowledge.get(draft.entryId), store.knowledge.versions(draft.entryId), staffNames(store), officeToday(store)]);
    const currentVersion = current && !current.withdrawn ? current.version : null;
    const baseEntry = draft.baseVersion === null ? null : (versions.find((v) => v.version === draft.baseVersion)?.entry ?? null);
    const stale = draft.status !== 'approved' && currentVersion !== draft.baseVersion;
    const mayEdit = (draft.authorId === me.id || canReview) && draft.status !== 'approved';
    const question = typeof req.query.tanya === 'string' ? req.query.tanya.slice(0, 500) : '';
    render.page(
      res,
      'knowledge-draft',
      {
        title: `Draf: ${draft.entry.title}`,
        nav: 'knowledge',
        styles: ['knowledge.css'],
        flash: error ? { kind: 'error', text: error } : flashFrom(req, NOTICES),
        draft: {
          id: draft.id,
          entryId: draft.entryId,
          title: draft.entry.title,
          status: DRAFT_STATUS[draft.status],
          statusKey: draft.status,
          author: names.get(draft.authorId) ?? 'petugas',
          reviewer: draft.reviewerId ? (names.get(draft.reviewerId) ?? 'petugas') : '',
          comment: draft.reviewComment ?? '',
          createdAt: formatTime(draft.createdAt, timeZone),
          updatedAt: formatTime(draft.updatedAt, timeZone),
          baseVersion: draft.baseVersion,
          isNew: draft.baseVersion === null && currentVersion === null,
        },
        currentVersion,
        stale,
        diff: diffEntries(baseEntry, draft.entry),
        staleDiff: stale && current && !current.withdrawn ? diffEntries(current.entry, draft.entry).filter((d) => d.changed) : [],
        preview: previewOf(draft.entry, (await knowledge.current()).office),
        question,
        comparison: question.trim() ? await compare(question, draft.entry) : null,
        may: {
          edit: mayEdit && !stale,
          submit: mayEdit && !stale && (draft.status === 'draft' || draft.status === 'rejected'),
          review: canReview && draft.status === 'submitted' && !stale,
          rebase: mayEdit && stale,
        },
        editHref: `${base}/knowledge/entries/${encodeURIComponent(draft.entryId)}/edit?draf=${encodeURIComponent(draft.id)}`,
      },
      status,
    );
  };

  router.get('/knowledge/drafts/:id', agent, (req, res) => showDraft(req, res));

  /** A draft action: on success go back to `next`, on a refusal show the draft again with the reason. */
  const act = (run: (req: Request, res: Response) => Promise<Draft | { entryId: string }>, next: (result: Draft | { entryId: string }, req: Request) => string) => async (req: Request, res: Response) => {
    try {
      const result = await run(req, res);
      if (wantsJson(req)) return void res.json({ ok: true });
      res.redirect(303, next(result, req));
    } catch (error) {
      await refused(error, req, res, (status, message) => showDraft(req, res, status, message));
    }
  };
  const id = (req: Request) => String(req.params.id);

  router.post('/knowledge/drafts/:id/submit', agent, act((req, res) => editor.submit(userOf(res), id(req)), (_r, req) => draftUrl(id(req), 'diajukan')));
  router.post(
    '/knowledge/drafts/:id/approve',
    supervisor,
    act(
      (req, res) => editor.approve(userOf(res), id(req), field(req, 'note').trim().slice(0, 300) || undefined),
      (version) => `${base}/knowledge/entries/${encodeURIComponent(version.entryId)}?pesan=terbit`,
    ),
  );
  router.post('/knowledge/drafts/:id/reject', supervisor, act((req, res) => editor.reject(userOf(res), id(req), field(req, 'comment').slice(0, 1000)), (_r, req) => draftUrl(id(req), 'dikembalikan')));
  router.post('/knowledge/drafts/:id/rebase', agent, act((req, res) => editor.rebase(userOf(res), id(req)), (_r, req) => draftUrl(id(req), 'disesuaikan')));
}
