/**
 * The unanswered-questions loop end to end, on the REAL app over HTTP:
 * citizens ask in the web chat what the knowledge base cannot answer; the
 * questions show up in a supervisor's "Pertanyaan tak terjawab" list,
 * masked and grouped with similar ones; the supervisor adds the group to
 * an entry, and the same question now gets that entry's answer; the
 * dashboard counts the fallbacks. Also: a group becomes a new entry's draft
 * or is ignored, and a recording queued before a restart is not lost.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp } from '../scripts/app.js';
import { loadConfig } from '../scripts/config.js';
import { until, type AdminTestApp } from './helpers/admin.js';
import { makeStaff, startInboxApp, StaffClient, WebCitizen } from './helpers/inbox.js';
import { makeTempDir } from './helpers/tmp.js';

/** Asked after a divorce at the religious court: the akta-perceraian entry answers it, but not in these words. */
const QUESTION = 'Putusan PA sudah keluar, apa harus lapor juga ke Dukcapil?';
const SIMILAR_WITH_PHONE = 'putusan PA sudah keluar, apa harus lapor ke dukcapil juga? hp saya 081234567890';
const SIMILAR_WITH_NIK = 'Putusan PA sudah keluar apa harus lapor ke Dukcapil, NIK saya 7271012345678901';
const UNRELATED = 'dukcapil tutup ga pas cuti bersama?';
/** Another agency's service: the bot points elsewhere, which is no gap in the knowledge base. */
const OUT_OF_SCOPE = 'cara bikin SIM C gimana';

let server: AdminTestApp;
let sari: StaffClient;

beforeAll(async () => {
  server = await startInboxApp();
  await makeStaff(server.app, 'sari', 'supervisor', { displayName: 'Sari Dewi' });
  sari = await StaffClient.signIn(server.base, 'sari');
});

afterAll(async () => {
  await server?.close();
});

/** Each open group's card on the list page: its id, count badge and text. */
async function openGroups(): Promise<{ id: string; count: number; text: string; phrases: string[] }[]> {
  const html = await (await sari.page('/admin/unanswered')).text();
  return [...html.matchAll(/<li class="card ua-group" id="g-([^"]+)">([\s\S]*?)<\/li>/gu)].map(([, id, body]) => ({
    id: id!,
    count: Number(/<span class="ua-count"[^>]*>(\d+)×/u.exec(body!)?.[1]),
    text: decode(body!.replace(/<[^>]+>/gu, ' ')),
    phrases: [...body!.matchAll(/name="phrase" value="([^"]*)"/gu)].map((m) => decode(m[1]!)),
  }));
}

const decode = (html: string) => html.replace(/&quot;/gu, '"').replace(/&#39;/gu, "'").replace(/&lt;/gu, '<').replace(/&gt;/gu, '>').replace(/&amp;/gu, '&');

/** A form post as the browser sends it: repeated fields (ticked checkboxes) and the page's CSRF token. */
async function submit(client: StaffClient, path: string, fields: [string, string][]): Promise<Response> {
  const body = new URLSearchParams([...fields, ['_csrf', await client.csrf()]]);
  return fetch(`${server.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: client.http.cookieHeader(), 'x-forwarded-for': client.http.ip },
    body: body.toString(),
    redirect: 'manual',
  });
}

const askOnce = async (text: string) => (await WebCitizen.start(server.base)).say(text);

describe('from an unanswered question to an answer', () => {
  let groupId = '';

  it('questions the bot cannot answer show up in the list, masked, similar ones grouped with counts', async () => {
    for (const text of [QUESTION, SIMILAR_WITH_PHONE, SIMILAR_WITH_NIK, UNRELATED, OUT_OF_SCOPE]) {
      const replies = await askOnce(text);
      expect(replies[0]!.kind).toBe('fallback');
    }
    const groups = await until(openGroups, (list) => list.reduce((sum, g) => sum + g.count, 0) >= 4, 10_000);
    const divorce = groups.find((g) => g.text.includes(QUESTION))!;
    expect(divorce).toBeDefined();
    expect(divorce.count).toBe(3);
    expect(divorce.text).toContain('putusan PA sudah keluar, apa harus lapor ke dukcapil juga? hp saya 0812****890');
    expect(divorce.text).toContain('NIK saya 7271********8901');
    const holiday = groups.find((g) => g.text.includes(UNRELATED))!;
    expect(holiday.count).toBe(1);
    expect(holiday.id).not.toBe(divorce.id);
    // The out-of-scope question is not a gap in the knowledge base; personal data never shows in full.
    const page = await (await sari.page('/admin/unanswered')).text();
    expect(page).not.toContain('SIM C');
    expect(page).not.toContain('081234567890');
    expect(page).not.toContain('7271012345678901');
    expect(groups).toHaveLength(2);
    groupId = divorce.id;
  });

  it('adding the group to an entry makes the bot answer the same question; the group leaves the list', async () => {
    const { entries } = await server.app.knowledge.current();
    const divorce = entries.get('akta-perceraian')!;
    const group = (await openGroups()).find((g) => g.id === groupId)!;
    expect(group.phrases).toHaveLength(3);

    const response = await submit(sari, `/admin/unanswered/${groupId}/phrases`, [['entryId', divorce.id], ...group.phrases.map((p): [string, string] => ['phrase', p])]);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/unanswered?pesan=frasa');
    const after = await (await sari.page('/admin/unanswered?pesan=frasa')).text();
    expect(after).toContain('langsung dipakai bot');
    expect((await openGroups()).map((g) => g.id)).not.toContain(groupId);

    const replies = await askOnce(QUESTION);
    expect(replies[0]!.kind).toBe('answer');
    expect(replies[0]!.text).toContain(divorce.title);
    // Published as a new version with the citizens' wordings, personal data masked.
    const published = await server.app.store.knowledge.get(divorce.id);
    expect(published!.entry.phrases).toEqual(expect.arrayContaining([QUESTION, 'putusan PA sudah keluar, apa harus lapor ke dukcapil juga? hp saya 0812****890']));
  });

  it('the dashboard counts the fallbacks: five of six bot turns today', async () => {
    const html = await (await sari.page('/admin/dashboard')).text();
    const row = /<tr><th scope="row">([^<]+)<\/th><td class="num">(\d+)<\/td><td class="num">(\d+)<\/td><td class="num">([^<]+)<\/td><\/tr>/gu;
    const today = [...html.matchAll(row)].filter((m) => m[2] !== '0');
    expect(today.map((m) => [m[2], m[3], m[4]])).toEqual([['6', '5', '83,3%']]);

    const csv = await (await sari.http.get('/admin/dashboard/csv')).text();
    expect(csv).toContain('persen_fallback,,seluruh rentang,83.3');
  });
});

describe('other ways out of the list', () => {
  it('a group becomes a new entry draft, opened in the knowledge-base editor', async () => {
    const text = 'syarat bikin surat keterangan tempat tinggal untuk orang asing';
    await askOnce(text);
    const group = (await until(openGroups, (list) => list.some((g) => g.text.includes(text)), 10_000)).find((g) => g.text.includes(text))!;

    const form = await (await sari.page(`/admin/unanswered/${group.id}/new-entry`)).text();
    expect(form).toContain(text);
    const incomplete = await submit(sari, `/admin/unanswered/${group.id}/new-entry`, [['title', 'Surat keterangan tempat tinggal (WNA)'], ['summary', 'pendek'], ['legalBasis', '']]);
    expect(incomplete.status).toBe(400);
    const page = await incomplete.text();
    expect(page).toContain('Entri belum lengkap');
    expect(page).toContain('Surat keterangan tempat tinggal (WNA)'); // what was typed stays

    const created = await submit(sari, `/admin/unanswered/${group.id}/new-entry`, [
      ['title', 'Surat keterangan tempat tinggal (WNA)'],
      ['summary', 'Surat keterangan tempat tinggal untuk orang asing pemegang izin tinggal terbatas.'],
      ['legalBasis', 'Permendagri 109/2019'],
      ['document', ''],
    ]);
    expect(created.status).toBe(303);
    const draftId = /\/admin\/knowledge\/drafts\/(.+)$/u.exec(created.headers.get('location') ?? '')?.[1];
    expect(draftId).toBeDefined();
    const draft = await server.app.store.drafts.get(draftId!);
    expect(draft).toMatchObject({ entryId: 'surat-keterangan-tempat-tinggal-wna', status: 'draft', baseVersion: null });
    expect(draft!.entry.phrases).toEqual([text]);
    expect((await openGroups()).map((g) => g.id)).not.toContain(group.id);
    // A second try on the same group is refused: it was handled.
    expect((await submit(sari, `/admin/unanswered/${group.id}/ignore`, [])).status).toBe(409);
  });

  it('a group that is no question for the knowledge base is ignored', async () => {
    await askOnce('wkwkwk');
    const group = (await until(openGroups, (list) => list.some((g) => g.text.includes('wkwkwk')), 10_000)).find((g) => g.text.includes('wkwkwk'))!;
    const response = await submit(sari, `/admin/unanswered/${group.id}/ignore`, []);
    expect(response.status).toBe(303);
    expect((await (await sari.page('/admin/unanswered?pesan=abaikan')).text())).toContain('diabaikan');
    expect((await openGroups()).map((g) => g.id)).not.toContain(group.id);
  });

  it('agents cannot open the list (adding phrases publishes at once)', async () => {
    await makeStaff(server.app, 'ani', 'agent');
    const ani = await StaffClient.signIn(server.base, 'ani');
    expect((await ani.page('/admin/unanswered')).status).toBe(403);
    expect((await ani.page('/admin/dashboard')).status).toBe(403);
  });
});

describe('recording survives a restart', () => {
  it('a question asked while no worker runs is recorded once the app is back', async () => {
    const tmp = makeTempDir('siratu-unanswered-');
    const config = loadConfig({ HOST: '127.0.0.1', DATA_DIR: tmp.dir, LOG_LEVEL: 'silent', PORT: '0' }, { dotenvPath: '/nonexistent' });
    try {
      // Not listening: the dispatcher answers and queues, but no worker takes jobs.
      const first = await createApp(config);
      const { replies } = await first.dispatcher.receive({ channel: 'telegram', senderId: '777', text: QUESTION });
      expect(replies[0]!.kind).toBe('fallback');
      expect(await first.store.unanswered.open()).toEqual([]);
      await first.close();

      const second = await createApp(config);
      await second.listen();
      const groups = await until(() => second.store.unanswered.open(), (open) => open.length > 0, 10_000);
      expect(groups).toEqual([expect.objectContaining({ count: 1, samples: [QUESTION] })]);
      await second.close();
    } finally {
      tmp.remove();
    }
  });
});
