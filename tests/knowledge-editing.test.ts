/**
 * The knowledge editor's rules (bot/knowledge-editing.ts) against a real
 * embedded store (a SQLite file) seeded with the shipped knowledge base:
 * who may publish, stale drafts, rollback, withdrawal, field messages in
 * Indonesian, every instance reloading on publish, and imports that apply
 * all or nothing and report every row.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { createLocalBus } from '../bot/bus.js';
import { KnowledgeBase, seedKnowledge } from '../bot/knowledge-base.js';
import { KnowledgeEditError, KnowledgeEditor, validEntry, type Editor } from '../bot/knowledge-editing.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Store } from '../bot/store/types.js';
import { loadEntries, loadLanguage, loadOffice } from '../knowledge/load.js';
import type { Entry } from '../knowledge/schema.js';
import { makeTempDir } from './helpers/tmp.js';

const tmp = makeTempDir('siratu-kb-editing-');
const language = loadLanguage();
let store: Store;
let knowledge: KnowledgeBase;
let editor: KnowledgeEditor;
const bus = createLocalBus();
const agent: Editor = { id: 'u-agent', role: 'agent' };
const colleague: Editor = { id: 'u-agent-2', role: 'agent' };
const supervisor: Editor = { id: 'u-super', role: 'supervisor' };

/** The error a promise is refused with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<KnowledgeEditError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KnowledgeEditError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const published = async (id: string) => (await store.knowledge.get(id))!;
const withLine = (entry: Entry, line: string): Entry => ({ ...entry, requirements: [...entry.requirements, line] });

beforeAll(async () => {
  store = openSqliteStore({ file: join(tmp.dir, 'kb.db') });
  await seedKnowledge(store, loadEntries(), loadOffice('palu'));
  // A long cache age: only the invalidation (local or over the bus) can explain a fresh answer.
  knowledge = new KnowledgeBase(store, language, 60_000).follow(bus);
  editor = new KnowledgeEditor({ store, knowledge, events: bus });
});

afterAll(async () => {
  await store.close();
  tmp.remove();
});

describe('validEntry', () => {
  it('names every problem per field, in words office staff read', () => {
    const base = loadEntries().find((e) => e.id === 'ktp-baru')!;
    const error = (() => {
      try {
        validEntry({ ...base, title: '', requirements: ['KK', 'x'], legalBasis: [], reviewIntervalDays: 0 });
      } catch (e) {
        return e as KnowledgeEditError;
      }
      throw new Error('valid');
    })();
    expect(error.status).toBe(400);
    expect(error.fields).toEqual(
      expect.arrayContaining([
        { path: 'title', message: 'terlalu pendek (paling sedikit 3 huruf)' },
        { path: 'requirements.1', message: 'terlalu pendek (paling sedikit 2 huruf)' },
        { path: 'legalBasis', message: 'setiap entri wajib mencantumkan dasar hukum' },
        { path: 'reviewIntervalDays', message: 'harus lebih dari 0' },
      ]),
    );
    const { summary: _summary, ...withoutSummary } = base;
    expect(refusalOf(() => validEntry(withoutSummary)).fields).toEqual([{ path: 'summary', message: 'wajib diisi' }]);
    expect(refusalOf(() => validEntry({ ...base, lastReviewed: '2026-02-30' })).fields).toEqual([{ path: 'lastReviewed', message: 'tanggal tidak ada di kalender' }]);
  });
});

function refusalOf(run: () => unknown): KnowledgeEditError {
  try {
    run();
  } catch (error) {
    if (error instanceof KnowledgeEditError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('draft → submitted → approved', () => {
  it('an agent proposes; only a reviewer publishes; every step is in the audit log', async () => {
    const before = await published('ktp-hilang-rusak');
    const draft = await editor.saveDraft(agent, { entry: withLine(before.entry, 'Fotokopi KTP-el lama, bila ada') });
    expect(draft).toMatchObject({ status: 'draft', baseVersion: before.version, authorId: agent.id });
    expect((await refusal(editor.submit(colleague, draft.id))).status).toBe(403);
    await editor.submit(agent, draft.id);
    expect((await refusal(editor.approve(agent, draft.id))).status).toBe(403);
    // Nothing changes for citizens until approval.
    expect((await knowledge.current()).entries.get('ktp-hilang-rusak')!.requirements).toEqual(before.entry.requirements);

    const version = await editor.approve(supervisor, draft.id);
    expect(version.version).toBe(before.version + 1);
    expect((await knowledge.current()).entries.get('ktp-hilang-rusak')!.requirements).toContain('Fotokopi KTP-el lama, bila ada');
    const actions = (await store.audit.list({ target: 'ktp-hilang-rusak' })).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['draft.create', 'draft.submit', 'entry.publish']));
    expect((await refusal(editor.approve(supervisor, draft.id))).status).toBe(409);
  });

  it('publishing reaches every instance at once through the bus; an instance not listening waits for its cache', async () => {
    const other = new KnowledgeBase(store, language, 60_000).follow(bus);
    const deaf = new KnowledgeBase(store, language, 60_000);
    await other.current();
    await deaf.current();
    const current = await published('kk-baru');
    const draft = await editor.saveDraft(supervisor, { entry: { ...current.entry, cost: 'Gratis. Tidak ada biaya apa pun, juga untuk fotokopi.' } });
    await editor.submit(supervisor, draft.id);
    await editor.approve(supervisor, draft.id);
    expect((await other.current()).entries.get('kk-baru')!.cost).toBe('Gratis. Tidak ada biaya apa pun, juga untuk fotokopi.');
    expect((await deaf.current()).entries.get('kk-baru')!.cost).toBe(current.entry.cost);
    expect((await other.current()).understander.understand('biaya bikin kk baru').entries[0]).toBe('kk-baru');
  });

  it('a rejected draft goes back with a comment and becomes a draft again when edited', async () => {
    const current = await published('kia');
    const draft = await editor.saveDraft(agent, { entry: withLine(current.entry, 'Pas foto anak 2x3') });
    await editor.submit(agent, draft.id);
    expect((await refusal(editor.reject(supervisor, draft.id, '  '))).fields).toEqual([{ path: 'comment', message: 'wajib diisi' }]);
    const rejected = await editor.reject(supervisor, draft.id, 'Pas foto hanya untuk anak di atas 5 tahun.');
    expect(rejected).toMatchObject({ status: 'rejected', reviewComment: 'Pas foto hanya untuk anak di atas 5 tahun.' });
    const edited = await editor.saveDraft(agent, { draftId: draft.id, entry: withLine(current.entry, 'Pas foto anak 2x3 (anak di atas 5 tahun)') });
    expect(edited.status).toBe('draft');
    expect((await refusal(editor.saveDraft(colleague, { draftId: draft.id, entry: current.entry }))).status).toBe(403);
    expect((await refusal(editor.saveDraft(agent, { draftId: draft.id, entry: { ...current.entry, id: 'kia-lain' } }))).fields[0]!.path).toBe('id');
  });

  it('a new entry may not take an id in use', async () => {
    const current = await published('antrian');
    const error = await refusal(editor.saveDraft(agent, { entry: { ...current.entry, title: 'Antrean lain' }, isNew: true }));
    expect(error.status).toBe(409);
    expect(error.fields).toEqual([{ path: 'id', message: 'kode sudah dipakai' }]);
  });
});

describe('stale drafts', () => {
  it('a draft written against an older version cannot be approved until its author moves it onto the new one', async () => {
    const v = await published('akta-kematian');
    const mine = await editor.saveDraft(agent, { entry: withLine(v.entry, 'Surat keterangan dari rumah sakit, bila meninggal di rumah sakit') });
    await editor.submit(agent, mine.id);
    const theirs = await editor.saveDraft(supervisor, { entry: { ...v.entry, cost: 'Gratis (UU 24/2013 Pasal 79A).' } });
    await editor.submit(supervisor, theirs.id);
    await editor.approve(supervisor, theirs.id);

    const error = await refusal(editor.approve(supervisor, mine.id));
    expect(error.status).toBe(409);
    expect(error.message).toMatch(/sudah berubah/u);
    const moved = await editor.rebase(agent, mine.id);
    expect(moved).toMatchObject({ status: 'draft', baseVersion: v.version + 1 });
    expect((await refusal(editor.rebase(agent, mine.id))).status).toBe(409);
    await editor.submit(agent, mine.id);
    expect((await editor.approve(supervisor, mine.id)).version).toBe(v.version + 2);
  });

  it('a form filled from an older version saves a stale draft instead of silently undoing the newer one', async () => {
    const v = await published('ikd');
    const newer = await editor.saveDraft(supervisor, { entry: { ...v.entry, processingTime: 'Langsung aktif setelah diverifikasi petugas.' } });
    await editor.submit(supervisor, newer.id);
    await editor.approve(supervisor, newer.id);
    const late = await editor.saveDraft(agent, { entry: withLine(v.entry, 'HP Android atau iPhone'), basedOn: v.version });
    await editor.submit(agent, late.id);
    expect((await refusal(editor.approve(supervisor, late.id))).status).toBe(409);
  });
});

describe('rollback and withdrawal', () => {
  it('rolls back by publishing the old content as a new version; refuses a rollback that changes nothing', async () => {
    const versions = await store.knowledge.versions('ktp-hilang-rusak');
    const original = versions.at(-1)!;
    const rolled = await editor.rollback(supervisor, 'ktp-hilang-rusak', original.version);
    expect(rolled.version).toBe(versions[0]!.version + 1);
    expect((await knowledge.current()).entries.get('ktp-hilang-rusak')).toEqual(original.entry);
    expect((await refusal(editor.rollback(supervisor, 'ktp-hilang-rusak', original.version))).status).toBe(409);
    expect((await refusal(editor.rollback(agent, 'ktp-hilang-rusak', original.version))).status).toBe(403);
    expect((await refusal(editor.rollback(supervisor, 'ktp-hilang-rusak', 999))).status).toBe(404);
  });

  it('withdraws an entry from the answers; a rollback brings it back', async () => {
    const before = await published('legalisir');
    await editor.withdraw(supervisor, 'legalisir', 'Layanan dipindah ke MPP');
    expect((await knowledge.current()).entries.has('legalisir')).toBe(false);
    expect((await refusal(editor.withdraw(supervisor, 'legalisir'))).status).toBe(404);
    await editor.rollback(supervisor, 'legalisir', before.version);
    expect((await knowledge.current()).entries.get('legalisir')).toEqual(before.entry);
  });
});

describe('importEntries', () => {
  const rowsOf = (entries: unknown[]) => entries.map((entry, index) => ({ row: index + 2, entry }));

  it('with one invalid row changes nothing and says what is wrong on which row', async () => {
    const all = await store.knowledge.published();
    const revision = await store.knowledge.revision();
    const pindah = all.find((e) => e.id === 'pindah-datang')!;
    const report = await editor.importEntries(supervisor, rowsOf([
      withLine(pindah, 'Surat pengantar RT'),
      { ...all[1], summary: 'pendek' },
      { ...all[2], id: pindah.id },
      { ...all[3], related: ['tidak-ada'] },
    ]));
    expect(report.applied).toBe(false);
    expect(report.rows.map((r) => [r.row, r.change, r.outcome])).toEqual([
      [2, 'changed', 'not-applied'],
      [3, 'invalid', 'not-applied'],
      [4, 'invalid', 'not-applied'],
      [5, 'invalid', 'not-applied'],
    ]);
    expect(report.rows[1]!.errors).toEqual([{ path: 'summary', message: 'terlalu pendek (paling sedikit 10 huruf)' }]);
    expect(report.rows[2]!.errors).toEqual([{ path: 'id', message: 'kode pindah-datang sudah dipakai di baris 2' }]);
    expect(report.rows[3]!.errors).toEqual([{ path: 'related.0', message: 'entri terkait "tidak-ada" tidak ada' }]);
    expect(await store.knowledge.revision()).toBe(revision);
  });

  it('a dry run says what would change and changes nothing', async () => {
    const all = await store.knowledge.published();
    const revision = await store.knowledge.revision();
    const fresh = { ...all[0]!, id: 'surat-keterangan-domisili', title: 'Surat keterangan domisili', related: [] };
    const report = await editor.importEntries(agent, rowsOf([all[0], withLine(all[1]!, 'Materai 10.000'), fresh]), { dryRun: true });
    expect(report.applied).toBe(false);
    expect(report.rows.map((r) => r.change)).toEqual(['unchanged', 'changed', 'new']);
    expect(report.untouched).toHaveLength(all.length - 2);
    expect(await store.knowledge.revision()).toBe(revision);
  });

  it('from an agent: new and changed entries wait as submitted drafts; unchanged ones are skipped', async () => {
    const all = await store.knowledge.published();
    const revision = await store.knowledge.revision();
    const report = await editor.importEntries(agent, rowsOf([all[0], withLine(all[1]!, 'Materai 10.000')]));
    expect(report).toMatchObject({ applied: true, publishes: false });
    expect(report.rows.map((r) => r.outcome)).toEqual(['unchanged', 'submitted']);
    expect((await store.drafts.get(report.rows[1]!.draftId!))!.status).toBe('submitted');
    expect(await store.knowledge.revision()).toBe(revision);
  });

  it('from a reviewer: published at once; a row that fails while applying is reported, the others still go ahead', async () => {
    const all = await store.knowledge.published();
    const [first, second, third] = [all[4]!, all[5]!, all[6]!];
    const create = store.drafts.create.bind(store.drafts);
    store.drafts.create = async (draft) => {
      if (draft.entryId === second.id) throw new Error('disk full');
      return create(draft);
    };
    try {
      const report = await editor.importEntries(supervisor, rowsOf([withLine(first, 'Baris baru A'), withLine(second, 'Baris baru B'), third]));
      expect(report.applied).toBe(true);
      expect(report.rows.map((r) => r.outcome)).toEqual(['published', 'failed', 'unchanged']);
      expect(report.rows[1]!.errors[0]!.message).toMatch(/gangguan/u);
    } finally {
      store.drafts.create = create;
    }
    expect((await knowledge.current()).entries.get(first.id)!.requirements.at(-1)).toBe('Baris baru A');
    expect((await knowledge.current()).entries.get(second.id)!.requirements).toEqual(second.requirements);
    const summary = (await store.audit.list({ action: 'knowledge.import', limit: 1 }))[0]!;
    expect(summary.summary).toContain('1 diterbitkan');
    expect(summary.summary).toContain('1 gagal');
  });

  it('refuses an empty file', async () => {
    expect((await refusal(editor.importEntries(agent, []))).status).toBe(400);
  });
});
