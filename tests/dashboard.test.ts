/**
 * The dashboard's numbers against a known history, written through the
 * REAL app: citizens' turns, a handoff answered by an agent, complaints
 * resolved on time and late, ratings. Three days ago and 25 days ago are
 * written with the clock set back (tests/helpers/dashboard-seed.ts); today
 * goes through the web chat over HTTP. Each expected number below is
 * counted from that story, not read from the code.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { User } from '../bot/store/types.js';
import type { AdminTestApp } from './helpers/admin.js';
import { atTime, officeDay, officeInstant, officeToday, unansweredRecorded, writingThePast } from './helpers/dashboard-seed.js';
import { makeStaff, startInboxApp, StaffClient, WebCitizen } from './helpers/inbox.js';

let server: AdminTestApp;
let sari: StaffClient;
let budi: User;

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') cell += text[i++];
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') row.push(cell), (cell = '');
    else if (char === '\n' || (char === '\r' && text[i + 1] === '\n')) {
      if (char === '\r') i++;
      row.push(cell), rows.push(row), (row = []), (cell = '');
    } else cell += char;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** The text of a page's section (its heading, tiles, table cells) without tags. */
function sectionText(html: string, id: string): string {
  const match = new RegExp(`<section class="card db-section[^"]*" id="${id}"[\\s\\S]*?</section>`, 'u').exec(html);
  return (match?.[0] ?? '').replace(/<[^>]+>/gu, ' ').replace(/\s+/gu, ' ');
}

/** Table rows of a section: [first cell, ...numbers]. */
function tableRows(html: string, id: string): string[][] {
  const match = new RegExp(`<section class="card db-section[^"]*" id="${id}"[\\s\\S]*?</section>`, 'u').exec(html)?.[0] ?? '';
  const body = /<tbody>([\s\S]*?)<\/tbody>/u.exec(match)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/gu)].map(([, row]) => [...row!.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/gu)].map((cell) => cell[1]!.replace(/&#39;/gu, "'").replace(/&amp;/gu, '&')));
}

function tiles(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/<span class="db-tile-label">([^<]+)<\/span><strong class="db-tile-value">([^<]+)<\/strong>/gu)].map((m) => [m[1]!, m[2]!.replace(/&lt;/gu, '<')]));
}

beforeAll(async () => {
  server = await startInboxApp();
  await makeStaff(server.app, 'sari', 'supervisor', { displayName: 'Sari Dewi' });
  budi = await makeStaff(server.app, 'budi', 'agent', { displayName: 'Budi Santoso' });
  sari = await StaffClient.signIn(server.base, 'sari');
  const { dispatcher, helpdesk } = server.app;
  const wa = { channel: 'whatsapp' as const, senderId: '6281200000001@s.whatsapp.net' };
  const tg0 = { channel: 'telegram' as const, senderId: '5100000' };
  const tg1 = { channel: 'telegram' as const, senderId: '5100001' };

  await writingThePast(server.app, async () => {
    // 25 days ago: a Telegram question, and a complaint that will be resolved 23 days later (late).
    const kk = await atTime(officeInstant(25, '10:00'), () => dispatcher.receive({ ...tg0, text: 'syarat kk baru' }));
    const late = await atTime(officeInstant(25, '10:05'), () =>
      dispatcher.tickets.create({ contactId: kk.message.contactId, conversationId: kk.message.conversationId, channel: 'telegram', category: 'lambat', description: 'KK belum jadi', kecamatan: 'Palu Barat' }),
    );
    // Three days ago on WhatsApp: an answer, a question the bot cannot answer, a human asked for,
    // answered 30 minutes later, closed and rated 3; Telegram: another unanswerable question.
    await atTime(officeInstant(3, '09:00'), () => dispatcher.receive({ ...wa, text: 'syarat ktp hilang' }));
    await atTime(officeInstant(3, '09:05'), () => dispatcher.receive({ ...wa, text: 'wkwkwk' }));
    await atTime(officeInstant(3, '09:06'), () => dispatcher.receive({ ...tg1, text: 'cara daftar shopee' }));
    const asked = await atTime(officeInstant(3, '09:10'), () => dispatcher.receive({ ...wa, text: 'mau bicara dengan petugas' }));
    const conversationId = asked.message.conversationId;
    await atTime(officeInstant(3, '09:40'), async () => {
      await helpdesk.claim(conversationId, budi);
      await helpdesk.reply(conversationId, budi, { text: 'Selamat pagi, saya Budi. Ada yang bisa dibantu?' });
    });
    await atTime(officeInstant(3, '09:45'), () => helpdesk.close(conversationId, budi));
    await atTime(officeInstant(3, '09:46'), () => dispatcher.receive({ ...wa, text: '3' }));
    // A complaint filed and resolved within half an hour (on time).
    const current = await server.app.store.conversations.open(await server.app.store.contacts.upsert(wa.channel, wa.senderId));
    const quick = await atTime(officeInstant(3, '10:00'), () =>
      dispatcher.tickets.create({ contactId: current.contactId, conversationId: current.id, channel: 'whatsapp', category: 'sikap-petugas', description: 'Petugas kurang ramah', kecamatan: 'Palu Barat' }),
    );
    await atTime(officeInstant(3, '10:30'), () => dispatcher.tickets.changeStatus(quick.id, 'selesai', { actor: budi.id }));
    await atTime(officeInstant(2, '10:05'), () => dispatcher.tickets.changeStatus(late.id, 'selesai', { actor: budi.id }));
  });

  // Today, over HTTP: a question on the web; another citizen asks for a human, Budi answers, closes; she rates 5.
  await (await WebCitizen.start(server.base)).say('syarat akta kelahiran');
  const rina = await WebCitizen.start(server.base);
  expect((await rina.say('mau bicara dengan petugas'))[0]!.kind).toBe('handoff');
  const waiting = await rina.conversation(server.app);
  await helpdesk.claim(waiting.id, budi);
  await helpdesk.reply(waiting.id, budi, { text: 'Halo, saya Budi.' });
  await helpdesk.close(waiting.id, budi);
  expect((await rina.say('5'))[0]!.kind).toBe('thanks');
  const rinaNow = await rina.conversation(server.app);
  // A complaint today whose kecamatan was typed with a comma (the CSV must quote it).
  await dispatcher.tickets.create({ contactId: rinaNow.contactId, conversationId: rinaNow.id, channel: 'web', category: 'pungli', description: 'Diminta uang', kecamatan: 'Mantikulore, Talise' });
  // An entry last checked long ago: past its review date.
  const legalisir = (await server.app.store.knowledge.get('legalisir'))!;
  await server.app.store.knowledge.publish({ ...legalisir.entry, lastReviewed: '2026-01-10', reviewIntervalDays: 180 }, 'seed', 'tinjauan lama');
  const kia = (await server.app.store.knowledge.get('kia'))!;
  await server.app.store.knowledge.publish({ ...kia.entry, lastReviewed: officeToday(), reviewIntervalDays: 90 }, 'seed', 'baru ditinjau');
  server.app.knowledge.invalidate();
  await unansweredRecorded(server.app);
});

afterAll(async () => {
  await server?.close();
});

describe('the dashboard over 26 days (25 days ago up to today)', () => {
  const range = () => `dari=${officeDay(25)}&sampai=${officeToday()}`;
  let html = '';

  beforeAll(async () => {
    const response = await sari.page(`/admin/dashboard?${range()}`);
    expect(response.status).toBe(200);
    html = await response.text();
  });

  it('tiles: 7 conversations, 2 fallbacks of 9 turns, 3 tickets, SLA 1 of 2, medians, satisfaction 4', () => {
    // Conversations: Telegram 25 and 3 days ago; WhatsApp's, and the one its rating question opened
    // after closing; today's web question, Rina's, and Rina's rating conversation.
    // Turns: 25 days ago 1; three days ago answer, fallback, fallback, handoff, rating → 5; today answer, handoff, rating → 3.
    expect(tiles(html)).toEqual({
      Percakapan: '7',
      'Tingkat fallback': '22,2%',
      'Tiket dibuat': '3',
      'Kepatuhan SLA': '50%',
      // 30 minutes three days ago and a few milliseconds today.
      'Median respons pertama': '15 mnt',
      // 30 minutes, and exactly 23 days: the middle of the two.
      'Median penyelesaian': '11 hari 12 jam',
      'Kepuasan rata-rata': '4 / 5',
    });
  });

  it('tables: conversations per channel, fallbacks per day, topics, tickets by status, category, kecamatan', async () => {
    const conversations = tableRows(html, 'percakapan');
    expect(conversations).toHaveLength(26);
    const day = (daysAgo: number) => new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${officeDay(daysAgo)}T00:00:00Z`));
    expect(conversations.filter((row) => row.at(-1) !== '0')).toEqual([
      [day(25), '0', '1', '0', '1'],
      [day(3), '2', '1', '0', '3'],
      [day(0), '0', '0', '3', '3'],
    ]);
    expect(tableRows(html, 'fallback').filter((row) => row[1] !== '0')).toEqual([
      [day(25), '1', '0', '0%'],
      [day(3), '5', '2', '40%'],
      [day(0), '3', '0', '0%'],
    ]);
    expect(tableRows(html, 'fallback').find((row) => row[0] === day(10))).toEqual([day(10), '0', '0', '–']);
    const title = async (id: string) => (await server.app.store.knowledge.get(id))!.entry.title;
    const topics = tableRows(html, 'topik').sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(topics).toEqual([[await title('akta-kelahiran'), '1'], [await title('kk-baru'), '1'], [await title('ktp-hilang-rusak'), '1']].sort((a, b) => a[0]!.localeCompare(b[0]!)));
    expect(tableRows(html, 'tiket-status')).toEqual([['Baru', '1'], ['Diproses', '0'], ['Menunggu warga', '0'], ['Selesai', '2'], ['Ditutup', '0']]);
    expect(tableRows(html, 'tiket-kategori')).toEqual([
      ['Dokumen belum jadi / proses lambat', '1'],
      ['Diminta uang (pungutan liar)', '1'],
      ['Sikap petugas', '1'],
    ]);
    expect(tableRows(html, 'tiket-kecamatan')).toEqual([['Palu Barat', '2'], ['Mantikulore, Talise', '1']]);
    expect(tableRows(html, 'sla')).toEqual([['Tepat waktu', '1'], ['Terlambat', '1'], ['Tanpa tenggat', '0'], ['Kepatuhan SLA', '50%']]);
    expect(tableRows(html, 'kepuasan')).toEqual([['1', '0'], ['2', '0'], ['3', '1'], ['4', '0'], ['5', '1'], ['Rata-rata', '4']]);
  });

  it('every chart carries the same numbers as its table', () => {
    const charts = [...html.matchAll(/<section class="card db-section[^"]*" id="([^"]+)"[\s\S]*?data-chart="([^"]+)"/gu)].map((m) => ({
      id: m[1]!,
      spec: JSON.parse(m[2]!.replace(/&quot;/gu, '"').replace(/&#39;/gu, "'").replace(/&amp;/gu, '&')) as { type: string; labels: string[]; series: { label: string; data: (number | null)[] }[] },
    }));
    expect(charts.map((c) => c.id)).toEqual(['percakapan', 'fallback', 'topik', 'tiket-status', 'tiket-kategori', 'tiket-kecamatan', 'sla', 'kepuasan']);
    const byId = Object.fromEntries(charts.map((c) => [c.id, c.spec]));
    expect(byId.percakapan!.series.map((s) => [s.label, s.data.reduce((a, b) => a! + b!, 0)])).toEqual([['WhatsApp', 2], ['Telegram', 2], ['Web chat', 3]]);
    expect(byId.fallback!.series[0]!.data.filter((v) => v !== null)).toEqual([0, 40, 0]);
    expect(byId['tiket-kecamatan']!.labels).toEqual(['Palu Barat', 'Mantikulore, Talise']);
    expect(byId.sla!.series[0]!.data).toEqual([1, 1, 0]);
  });

  it('entries past their review date are flagged, linking to the entry in the editor', () => {
    const flagged = /<section class="card db-reviews"[\s\S]*?<\/section>/u.exec(html)?.[0] ?? '';
    const overdue = Math.round((Date.parse(`${officeToday()}T00:00:00Z`) - Date.parse('2026-07-09T00:00:00Z')) / 86_400_000);
    expect(flagged).toContain('href="/admin/knowledge/entries/legalisir"');
    expect(flagged).toContain(`lewat ${overdue} hari`);
    expect(flagged).toContain('9 Juli 2026');
    expect(flagged).not.toContain('/admin/knowledge/entries/kia"'); // checked today
  });

  it('the CSV holds the same numbers, one per row, properly quoted, named after the range', async () => {
    const response = await sari.http.get(`/admin/dashboard/csv?${range()}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="siratu-dasbor-${officeDay(25)}_${officeToday()}.csv"`);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 byte-order mark, for spreadsheet programs
    const text = bytes.subarray(3).toString('utf8');
    expect(text).toContain('"Mantikulore, Talise"');
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['metrik', 'tanggal', 'kelompok', 'nilai']);
    const find = (metric: string, group = '', day = '') => rows.filter((r) => r[0] === metric && r[2] === group && r[1] === day).map((r) => r[3]);
    expect(rows.filter((r) => r[0] === 'percakapan')).toHaveLength(26 * 3);
    expect(find('percakapan', 'WhatsApp', officeDay(3))).toEqual(['2']);
    expect(find('giliran_bot', '', officeDay(3))).toEqual(['5']);
    expect(find('giliran_fallback', '', officeDay(3))).toEqual(['2']);
    expect(find('persen_fallback', '', officeDay(3))).toEqual(['40']);
    expect(find('persen_fallback', '', officeDay(10))).toEqual(['']);
    expect(find('persen_fallback', 'seluruh rentang')).toEqual(['22.2']);
    expect(find('tiket_per_kecamatan', 'Mantikulore, Talise')).toEqual(['1']);
    expect(find('tiket_per_status', 'Selesai')).toEqual(['2']);
    expect(find('persen_sla')).toEqual(['50']);
    expect(find('median_respons_pertama_menit', '2 percakapan')).toEqual(['15']);
    expect(find('median_penyelesaian_jam', '2 tiket')).toEqual(['276.3']); // (0.5 h + 552 h) / 2 = 276.25
    expect(find('rata_rata_kepuasan', '2 penilaian')).toEqual(['4']);
    expect(find('penilaian', '3')).toEqual(['1']);
  });
});

describe('the date range', () => {
  it('defaults to the last 30 days; today alone shows only today', async () => {
    const all = await (await sari.page('/admin/dashboard')).text();
    expect(all).toContain(`value="${officeDay(29)}"`);
    expect(tiles(all).Percakapan).toBe('7');

    const today = await (await sari.page(`/admin/dashboard?dari=${officeToday()}&sampai=${officeToday()}`)).text();
    expect(tiles(today)).toMatchObject({ Percakapan: '3', 'Tingkat fallback': '0%', 'Tiket dibuat': '1', 'Kepatuhan SLA': '–', 'Median respons pertama': '< 1 mnt', 'Kepuasan rata-rata': '5 / 5' });
    expect(sectionText(today, 'sla')).toContain('Belum ada data pada rentang ini.');
  });

  it('a range that cannot be read falls back to 30 days and says so', async () => {
    for (const query of ['dari=2026-13-01&sampai=2026-12-01', 'dari=2026-02-30&sampai=2026-03-03', `dari=${officeToday()}&sampai=${officeDay(3)}`, 'dari=2020-01-01&sampai=2026-01-01']) {
      const page = await (await sari.page(`/admin/dashboard?${query}`)).text();
      expect(page).toContain('flash-error');
      expect(page).toContain(`value="${officeDay(29)}"`);
    }
  });

  it('the range moves the numbers: three days ago alone', async () => {
    const page = await (await sari.page(`/admin/dashboard?dari=${officeDay(3)}&sampai=${officeDay(3)}`)).text();
    expect(tiles(page)).toMatchObject({ Percakapan: '3', 'Tingkat fallback': '40%', 'Tiket dibuat': '1', 'Kepatuhan SLA': '100%', 'Median respons pertama': '30 mnt', 'Kepuasan rata-rata': '3 / 5' });
  });
});

describe('who sees it', () => {
  it('supervisors; agents are refused the page and the CSV', async () => {
    const budiClient = await StaffClient.signIn(server.base, 'budi');
    expect((await budiClient.page('/admin/dashboard')).status).toBe(403);
    expect((await budiClient.http.get('/admin/dashboard/csv')).status).toBe(403);
    const home = await (await sari.page('/admin')).text();
    expect(home).toContain('href="/admin/dashboard"');
    expect(home).toContain('href="/admin/unanswered"');
  });
});
