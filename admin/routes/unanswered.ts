/**
 * The unanswered-questions list (supervisors and admins): what citizens ask
 * that the knowledge base could not answer, grouped by similarity
 * (bot/unanswered.ts records them), the most frequent first.
 *
 *   GET  /unanswered                  open groups with their masked example messages
 *   POST /unanswered/:id/phrases      the ticked messages become phrases of an entry (published at once)
 *   GET  /unanswered/:id/new-entry    a small form for a new entry: title, summary, legal basis
 *   POST /unanswered/:id/new-entry    creates the entry's draft (messages as phrases) and opens it in the editor
 *   POST /unanswered/:id/ignore       not a knowledge-base question (jokes, typing tests, chit-chat)
 *
 * Each action resolves the group, so it leaves the open list; a message like
 * it that arrives later starts a new group. Supervisors publish phrases at
 * once (KnowledgeEditor.addPhrases), which is why the page is theirs.
 */
import type { Request, Response, Router } from 'express';
import type { KnowledgeBase } from '../../bot/knowledge-base.js';
import { KnowledgeEditError, type KnowledgeEditor } from '../../bot/knowledge-editing.js';
import type { UnansweredGroup } from '../../bot/store/types.js';
import type { Entry } from '../../knowledge/schema.js';
import { authOf } from '../access.js';
import { field, flashFrom, formatTime, officeTimeZone, type AdminContext } from '../context.js';

/** Groups shown at once (the most frequent). */
export const SHOWN_GROUPS = 100;

const NOTICES = {
  frasa: 'Pesan-pesan itu sudah menjadi frasa entri dan langsung dipakai bot. Kelompoknya tidak lagi tampil di daftar.',
  abaikan: 'Kelompok itu diabaikan dan tidak lagi tampil di daftar.',
};

/** Defaults of a new entry's fields the short form does not ask for; the editor completes them before review. */
const NEW_ENTRY_DEFAULTS = {
  where: '{{office.shortName}}, {{office.address}}.',
  cost: 'Gratis, tidak dipungut biaya apa pun (UU 24/2013 Pasal 79A).',
  processingTime: 'Tanyakan ke petugas di loket.',
};

interface KnowledgeDeps {
  knowledge: KnowledgeBase;
  editor: KnowledgeEditor;
}

/** "Surat keterangan domisili!" → "surat-keterangan-domisili" (an entry id). */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/gu, '-')
    .replace(/^-+|-+$/gu, '')
    .slice(0, 60)
    .replace(/-+$/u, '');
}

/** The group's example messages, newest first, each once with how often it was sent. */
function distinctNewestFirst(samples: string[]): { text: string; times: number }[] {
  const seen = new Map<string, number>();
  for (const text of [...samples].reverse()) seen.set(text, (seen.get(text) ?? 0) + 1);
  return [...seen].map(([text, times]) => ({ text, times }));
}

/** A form field that may be sent several times (ticked checkboxes). */
function fields(req: Request, name: string): string[] {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

export function unansweredRoutes(router: Router, ctx: AdminContext, deps: KnowledgeDeps): void {
  const { base, store, log, render, access } = ctx;
  const supervisor = access.requireRole('supervisor');

  const entryOptions = (entries: Map<string, Entry>) =>
    [...entries.values()].map((entry) => ({ id: entry.id, title: entry.title })).sort((a, b) => a.title.localeCompare(b.title, 'id'));

  const show = async (req: Request, res: Response, status = 200, rowError: { id: string; text: string } | null = null) => {
    const [groups, snapshot, timeZone] = await Promise.all([store.unanswered.open(SHOWN_GROUPS), deps.knowledge.current(), officeTimeZone(store)]);
    const view = (group: UnansweredGroup) => {
      const samples = distinctNewestFirst(group.samples);
      // What the bot makes of the latest message today: an entry that now answers it, or the close ones it offered.
      const understood = snapshot.understander.understand(samples[0]?.text ?? '');
      const answeredBy = understood.intent === 'answer' ? understood.entries[0] : undefined;
      // Offered first in the list, never preselected: a close match is often the wrong entry.
      const suggested = [...new Set([...(answeredBy ? [answeredBy] : []), ...understood.suggestions])]
        .map((id) => snapshot.entries.get(id))
        .filter((entry): entry is Entry => entry !== undefined)
        .map((entry) => ({ id: entry.id, title: entry.title }));
      return {
        id: group.id,
        count: group.count,
        firstSeen: formatTime(group.firstSeen, timeZone),
        lastSeen: formatTime(group.lastSeen, timeZone),
        samples,
        suggested,
        answeredBy: answeredBy ? snapshot.entries.get(answeredBy)?.title : undefined,
      };
    };
    render.page(
      res,
      'unanswered',
      {
        title: 'Pertanyaan tak terjawab',
        nav: 'unanswered',
        styles: ['unanswered.css'],
        flash: rowError ? null : flashFrom(req, NOTICES),
        rowError,
        groups: groups.map(view),
        entries: entryOptions(snapshot.entries),
        limit: SHOWN_GROUPS,
      },
      status,
    );
  };

  /** The open group in the URL, or null after answering (gone, or already handled by someone else). */
  const openGroup = async (req: Request, res: Response): Promise<UnansweredGroup | null> => {
    const group = await store.unanswered.get(String(req.params.id));
    if (!group) {
      render.message(req, res, 404, 'Kelompok tidak ditemukan', 'Kelompok pertanyaan itu tidak ada. Kembali ke daftar Pertanyaan tak terjawab.');
      return null;
    }
    if (group.status !== 'open') {
      render.message(req, res, 409, 'Sudah ditangani', 'Kelompok pertanyaan ini sudah ditangani (mungkin oleh rekan Anda). Kembali ke daftar untuk melihat yang masih terbuka.');
      return null;
    }
    return group;
  };

  const resolve = async (res: Response, group: UnansweredGroup, resolution: Omit<NonNullable<UnansweredGroup['resolution']>, 'by' | 'at'>) => {
    const by = authOf(res)!.user.id;
    await store.unanswered.resolve(group.id, { ...resolution, by, at: new Date() });
    log.info({ group: group.id, count: group.count, resolution: resolution.type, entry: resolution.entryId, by }, 'admin: unanswered group resolved');
  };

  router.get('/unanswered', supervisor, (req, res) => show(req, res));

  router.post('/unanswered/:id/phrases', supervisor, async (req, res) => {
    const group = await openGroup(req, res);
    if (!group) return;
    const entryId = field(req, 'entryId');
    // Only the group's own (masked) messages can become phrases, whatever the form sent.
    const phrases = fields(req, 'phrase').filter((text) => group.samples.includes(text));
    if (!entryId) return show(req, res, 400, { id: group.id, text: 'Pilih entri yang menjawab pertanyaan-pertanyaan ini.' });
    if (phrases.length === 0) return show(req, res, 400, { id: group.id, text: 'Centang paling sedikit satu pesan untuk dijadikan frasa.' });
    try {
      await deps.editor.addPhrases(authOf(res)!.user, entryId, phrases);
    } catch (error) {
      if (error instanceof KnowledgeEditError) return show(req, res, error.status, { id: group.id, text: error.message });
      throw error;
    }
    await resolve(res, group, { type: 'phrases', entryId });
    res.redirect(303, `${base}/unanswered?pesan=frasa`);
  });

  const newEntryForm = async (req: Request, res: Response, group: UnansweredGroup, status = 200, problem: { text: string; fields: { path: string; message: string }[] } | null = null) => {
    const { entries } = await deps.knowledge.current();
    const documents = [...new Set([...entries.values()].map((entry) => entry.document))].sort();
    const form = { title: field(req, 'title'), id: field(req, 'id'), document: field(req, 'document'), summary: field(req, 'summary'), legalBasis: field(req, 'legalBasis') };
    render.page(
      res,
      'unanswered-new-entry',
      {
        title: 'Entri baru dari pertanyaan warga',
        nav: 'unanswered',
        styles: ['unanswered.css'],
        group: { id: group.id, count: group.count, samples: distinctNewestFirst(group.samples) },
        documents,
        form,
        problem,
        fieldError: (path: string) => problem?.fields.find((f) => f.path === path || f.path.startsWith(`${path}.`))?.message ?? '',
      },
      status,
    );
  };

  router.get('/unanswered/:id/new-entry', supervisor, async (req, res) => {
    const group = await openGroup(req, res);
    if (group) await newEntryForm(req, res, group);
  });

  router.post('/unanswered/:id/new-entry', supervisor, async (req, res) => {
    const group = await openGroup(req, res);
    if (!group) return;
    const title = field(req, 'title').trim();
    const id = slugify(field(req, 'id').trim() || title);
    const entry = {
      id,
      title,
      // A new topic has no concept in the NLU lexicon yet: its own id, answered through its phrases.
      document: field(req, 'document') || id,
      summary: field(req, 'summary').trim(),
      legalBasis: field(req, 'legalBasis').split('\n').map((line) => line.trim()).filter(Boolean),
      phrases: [...new Set(group.samples)],
      lastReviewed: new Intl.DateTimeFormat('en-CA', { timeZone: await officeTimeZone(store) }).format(new Date()),
      ...NEW_ENTRY_DEFAULTS,
    };
    try {
      const draft = await deps.editor.saveDraft(authOf(res)!.user, { entry, isNew: true });
      await resolve(res, group, { type: 'draft', draftId: draft.id, entryId: draft.entryId });
      res.redirect(303, `${base}/knowledge/drafts/${draft.id}`);
    } catch (error) {
      if (!(error instanceof KnowledgeEditError)) throw error;
      await newEntryForm(req, res, group, error.status, { text: error.message, fields: error.fields });
    }
  });

  router.post('/unanswered/:id/ignore', supervisor, async (req, res) => {
    const group = await openGroup(req, res);
    if (!group) return;
    await resolve(res, group, { type: 'ignored' });
    res.redirect(303, `${base}/unanswered?pesan=abaikan`);
  });
}
