/**
 * The agents' inbox over real HTTP against the real app (createApp, real
 * store, real engine, real web chat): views and unread counts, atomic
 * claims under five simultaneous clicks, replies (text and a photo) that
 * reach the citizen, the bot staying silent while an agent owns the chat,
 * handing back, closing with a rating, supervisors' reassignment,
 * confidential tickets, ticket actions that notify the citizen, notes,
 * labels, search, canned responses, the live stream, masking of personal
 * data, CSRF and anonymous access.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { User } from '../bot/store/types.js';
import type { AdminTestApp } from './helpers/admin.js';
import { makeStaff, StaffClient, startInboxApp, WebCitizen } from './helpers/inbox.js';
import { makePng, readEvents } from './helpers/webchat.js';

let server: AdminTestApp;
let ani: StaffClient;
let budi: StaffClient;
let sari: StaffClient; // supervisor
const users: Record<string, User> = {};

interface Row {
  id: string;
  name: string;
  preview: string;
  unread: number;
  restricted: boolean;
  state: { state: string; label: string; mine: boolean };
  labels: string[];
  tickets: { number: string }[];
}
interface ListJson {
  rows: Row[];
  counts: Record<'waiting' | 'mine' | 'open' | 'closed', number>;
}

const list = (client: StaffClient, query: string) => client.json<ListJson>(`/admin/api/inbox/list?${query}`);

/** A citizen who asked for a human and is now waiting. */
async function waitingCitizen(first = 'mau bicara dengan petugas') {
  const citizen = await WebCitizen.start(server.base);
  const [reply] = await citizen.say(first);
  expect(reply!.kind).toBe('handoff');
  const conversation = await citizen.conversation(server.app);
  expect(conversation.state).toBe('waiting');
  return { citizen, conversation };
}

beforeAll(async () => {
  server = await startInboxApp();
  for (const [name, role] of [['ani', 'agent'], ['budi', 'agent'], ['citra', 'agent'], ['dedi', 'agent'], ['eka', 'agent'], ['sari', 'supervisor']] as const) {
    users[name] = await makeStaff(server.app, name, role, { displayName: `${name[0]!.toUpperCase()}${name.slice(1)} Petugas` });
  }
  [ani, budi, sari] = await Promise.all([StaffClient.signIn(server.base, 'ani'), StaffClient.signIn(server.base, 'budi'), StaffClient.signIn(server.base, 'sari')]);
});

afterAll(async () => {
  await server?.close();
});

describe('views and unread counts', () => {
  it('a waiting citizen shows in Menunggu with an unread count, masked for agents, in full for supervisors', async () => {
    const { citizen, conversation } = await waitingCitizen();
    await citizen.say('nomor saya 0812 3456 7890, NIK 7271 0101 0101 0001');
    const waiting = await list(ani, 'view=waiting');
    const row = waiting.rows.find((r) => r.id === conversation.id)!;
    expect(row).toBeDefined();
    expect(row.state.state).toBe('waiting');
    expect(row.unread).toBe(2);
    expect(waiting.counts.waiting).toBeGreaterThanOrEqual(1);
    // An agent who does not own it sees personal data masked; a supervisor sees it.
    expect(row.preview).toContain('0812****890');
    expect(row.preview).toContain('7271********0001');
    expect(row.preview).not.toContain('0812 3456 7890');
    const boss = (await list(sari, 'view=waiting')).rows.find((r) => r.id === conversation.id)!;
    expect(boss.preview).toContain('0812 3456 7890');
    // The page itself (server-rendered) lists it with the tabs and counts.
    const page = await ani.page('/admin/inbox');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`data-id="${conversation.id}"`);
    expect(html).toMatch(/Menunggu <span class="count" data-count="waiting"/u);
    expect(html).not.toContain('0812 3456 7890');

    // Opening the conversation reads it: Ani's count drops, Budi's does not.
    const before = (await list(ani, 'view=waiting')).counts.waiting;
    expect((await ani.page(`/admin/inbox/c/${conversation.id}`)).status).toBe(200);
    const after = await list(ani, 'view=waiting');
    expect(after.rows.find((r) => r.id === conversation.id)!.unread).toBe(0);
    expect(after.counts.waiting).toBe(before - 1);
    expect((await list(budi, 'view=waiting')).rows.find((r) => r.id === conversation.id)!.unread).toBe(2);

    // A new message while reading: unread again until marked read through the page's call.
    await citizen.say('halo, masih ada orang?');
    expect((await list(ani, 'view=waiting')).rows.find((r) => r.id === conversation.id)!.unread).toBe(1);
    const latest = (await server.app.store.messages.list(conversation.id)).at(-1)!;
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/read`, { messageId: latest.id })).status).toBe(200);
    expect((await list(ani, 'view=waiting')).rows.find((r) => r.id === conversation.id)!.unread).toBe(0);

    // Claimed: out of Menunggu, into Ani's "Milik saya", and now she sees the number in full.
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/claim`)).status).toBe(200);
    expect((await list(ani, 'view=waiting')).rows.some((r) => r.id === conversation.id)).toBe(false);
    const mine = (await list(ani, 'view=mine')).rows.find((r) => r.id === conversation.id)!;
    expect(mine.state).toMatchObject({ state: 'agent', mine: true, label: 'Anda tangani' });
    expect((await list(budi, 'view=mine')).rows.some((r) => r.id === conversation.id)).toBe(false);
    expect((await list(budi, 'view=open')).rows.find((r) => r.id === conversation.id)!.state.label).toBe('Ditangani Ani Petugas');
    const detail = await (await ani.page(`/admin/inbox/c/${conversation.id}`)).text();
    expect(detail).toContain('0812 3456 7890');
    // Closed: under Selesai.
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/close`)).status).toBe(200);
    expect((await list(ani, 'view=closed')).rows.some((r) => r.id === conversation.id)).toBe(true);
    expect((await list(ani, 'view=open')).rows.some((r) => r.id === conversation.id)).toBe(false);
  });

  it('an unknown tab falls back to Menunggu; an unknown conversation is 404', async () => {
    expect((await ani.page('/admin/inbox?view=semua')).status).toBe(200);
    expect((await ani.get('/admin/api/inbox/c/01JNOPE0000000000000000000')).status).toBe(404);
    expect((await ani.page('/admin/inbox/c/01JNOPE0000000000000000000')).status).toBe(404);
  });
});

describe('claiming, replying, handing back, closing', () => {
  it('five agents clicking "Ambil" at once: exactly one 200 winner, four 409 "diambil petugas lain"', async () => {
    const { conversation } = await waitingCitizen();
    const clients = await Promise.all(['ani', 'budi', 'citra', 'dedi', 'eka'].map((name) => StaffClient.signIn(server.base, name)));
    await Promise.all(clients.map((client) => client.csrf()));
    const responses = await Promise.all(clients.map((client) => client.post(`/admin/inbox/c/${conversation.id}/claim`)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409]);
    const winner = clients[responses.findIndex((response) => response.status === 200)]!;
    for (const response of responses.filter((r) => r.status === 409)) {
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe('claimed');
      expect(body.message).toMatch(/diambil petugas lain/u);
    }
    const stored = (await server.app.store.conversations.get(conversation.id))!;
    expect(stored.state).toBe('agent');
    const me = (await (await winner.get('/admin/api/me')).json()) as { user: { id: string } };
    expect(stored.assigneeId).toBe(me.user.id);
    // Exactly one "now served by" message reached the citizen.
    const joined = (await server.app.store.messages.list(conversation.id)).filter((m) => m.author === 'system' && /dilayani oleh petugas/u.test(m.text));
    expect(joined).toHaveLength(1);
    // A plain form that loses says so on the page.
    const lost = await clients.find((c) => c !== winner)!.form(`/admin/inbox/c/${conversation.id}/claim`);
    expect(lost.status).toBe(303);
    expect(lost.headers.get('location')).toBe(`/admin/inbox/c/${conversation.id}?pesan=diambil-lain`);
  });

  it('the reply reaches the citizen; the bot stays silent while the agent owns the chat; a photo arrives too', async () => {
    const { citizen, conversation } = await waitingCitizen();
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/claim`)).status).toBe(200);
    const reply = await ani.post(`/admin/inbox/c/${conversation.id}/reply`, { text: 'Selamat siang, saya *Ani*. Ada yang bisa dibantu?' });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { message: { side: string; who: string; text: string } };
    expect(body.message).toMatchObject({ side: 'agent', who: 'Petugas Ani Petugas' });
    const history = await citizen.history();
    expect(history.at(-1)).toMatchObject({ author: 'agent', text: 'Selamat siang, saya *Ani*. Ada yang bisa dibantu?' });
    expect(history.some((m) => m.author === 'system' && /dilayani oleh petugas \*Ani Petugas\*/u.test(m.text))).toBe(true);

    // The citizen writes while Ani owns it: no bot reply at all.
    expect(await citizen.say('syarat ktp hilang apa saja?')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await citizen.history()).at(-1)).toMatchObject({ author: 'citizen', text: 'syarat ktp hilang apa saja?' });

    // A photo with a caption, as the page sends it (multipart, CSRF in the header).
    const png = makePng(40, 30, (x) => [x * 6, 120, 200]);
    const form = new FormData();
    form.append('text', 'Ini contoh formulirnya.');
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'formulir.png');
    const sent = await ani.multipart(`/admin/inbox/c/${conversation.id}/reply`, form);
    expect(sent.status).toBe(200);
    const last = (await citizen.history()).at(-1)!;
    expect(last).toMatchObject({ author: 'agent', text: 'Ini contoh formulirnya.' });
    expect(last.attachments).toEqual([expect.objectContaining({ kind: 'image', fileName: 'formulir.png', mimeType: 'image/png' })]);
    // The citizen can open it through the web chat; the agent through the inbox.
    const citizenFile = await fetch(`${server.base}/webchat/api/${last.attachments[0]!.url}`, { headers: { 'x-siratu-session': citizen.session } });
    expect(citizenFile.status).toBe(200);
    const key = decodeURIComponent(last.attachments[0]!.url.split('/').pop()!);
    const agentFile = await ani.get(`/admin/inbox/c/${conversation.id}/files/${key}`);
    expect(agentFile.status).toBe(200);
    expect(agentFile.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await agentFile.arrayBuffer()).equals(png)).toBe(true);
    // The same key through another conversation is not found (keys are checked against the conversation).
    const other = await waitingCitizen();
    expect((await sari.get(`/admin/inbox/c/${other.conversation.id}/files/${key}`)).status).toBe(404);
    // Not an image, whatever its name says.
    const fake = new FormData();
    fake.append('file', new Blob(['<svg onload=alert(1)>'], { type: 'image/png' }), 'x.png');
    expect((await ani.multipart(`/admin/inbox/c/${conversation.id}/reply`, fake)).status).toBe(400);
    // An empty reply is refused; another agent may not reply in Ani's chat.
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/reply`, { text: '   ' })).status).toBe(400);
    expect((await budi.post(`/admin/inbox/c/${conversation.id}/reply`, { text: 'saya juga' })).status).toBe(403);
  });

  it('a plain form reply (no script) works and comes back to the page', async () => {
    const { citizen, conversation } = await waitingCitizen();
    const response = await ani.form(`/admin/inbox/c/${conversation.id}/reply`, { text: 'Dibalas dari formulir biasa.' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/admin/inbox/c/${conversation.id}?pesan=terkirim#balas`);
    // Replying to a waiting citizen takes the conversation.
    expect((await server.app.store.conversations.get(conversation.id))!.assigneeId).toBe(users.ani!.id);
    expect((await citizen.history()).at(-1)).toMatchObject({ author: 'agent', text: 'Dibalas dari formulir biasa.' });
  });

  it('hand back: the bot greets with the menu and answers again', async () => {
    const { citizen, conversation } = await waitingCitizen();
    await ani.post(`/admin/inbox/c/${conversation.id}/claim`);
    expect((await budi.post(`/admin/inbox/c/${conversation.id}/handback`)).status).toBe(403);
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/handback`)).status).toBe(200);
    const greeting = (await citizen.history()).at(-1)!;
    expect(greeting).toMatchObject({ author: 'bot', kind: 'menu' });
    expect(greeting.options.length).toBeGreaterThan(3);
    const [answer] = await citizen.say('syarat kk hilang');
    expect(answer).toMatchObject({ author: 'bot' });
    expect(answer!.text).toMatch(/KK|Kartu Keluarga/u);
    expect((await server.app.store.conversations.get(conversation.id))!.state).toBe('bot');
  });

  it('close: the citizen is asked for a rating, and their "5" is stored', async () => {
    const { citizen, conversation } = await waitingCitizen();
    await budi.post(`/admin/inbox/c/${conversation.id}/claim`);
    await budi.post(`/admin/inbox/c/${conversation.id}/reply`, { text: 'Sudah selesai ya, Bu.' });
    const closed = await budi.form(`/admin/inbox/c/${conversation.id}/close`);
    expect(closed.status).toBe(303);
    expect(closed.headers.get('location')).toBe(`/admin/inbox/c/${conversation.id}?pesan=ditutup`);
    expect((await server.app.store.conversations.get(conversation.id))!.state).toBe('closed');
    const question = (await citizen.history()).at(-1)!;
    expect(question.text).toMatch(/penilaian Anda/u);
    expect(question.options.map((o) => o.value)).toEqual(['1', '2', '3', '4', '5']);
    const [thanks] = await citizen.say('5');
    expect(thanks!.kind).toBe('thanks');
    const ratings = await server.app.store.ratings.list({});
    expect(ratings).toContainEqual(expect.objectContaining({ conversationId: conversation.id, agentId: users.budi!.id, score: 5 }));
  });
});

describe('supervisors and confidential reports', () => {
  it('agents cannot assign (403); a supervisor moves a conversation to another agent', async () => {
    const { conversation } = await waitingCitizen();
    await ani.post(`/admin/inbox/c/${conversation.id}/claim`);
    const refused = await ani.post(`/admin/inbox/c/${conversation.id}/assign`, { agentId: users.budi!.id });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('forbidden');
    const moved = await sari.post(`/admin/inbox/c/${conversation.id}/assign`, { agentId: users.budi!.id });
    expect(moved.status).toBe(200);
    expect((await server.app.store.conversations.get(conversation.id))!.assigneeId).toBe(users.budi!.id);
    expect((await sari.post(`/admin/inbox/c/${conversation.id}/assign`, { agentId: 'tidak-ada' })).status).toBe(404);
    // The page offers "Alihkan ke …" to supervisors only.
    expect(await (await sari.page(`/admin/inbox/c/${conversation.id}`)).text()).toContain('Alihkan ke …');
    expect(await (await budi.page(`/admin/inbox/c/${conversation.id}`)).text()).not.toContain('Alihkan ke …');
  });

  it('a pungli report: agents get 403 on the ticket and its conversation, supervisors work it', async () => {
    const citizen = await WebCitizen.start(server.base);
    await citizen.say('halo');
    const conversation = await citizen.conversation(server.app);
    const ticket = await server.app.dispatcher.tickets.create({
      contactId: conversation.contactId,
      conversationId: conversation.id,
      channel: 'web',
      category: 'pungli',
      description: 'Petugas loket minta uang 100 ribu',
    });
    expect((await ani.get(`/admin/inbox/tickets/${ticket.id}`)).status).toBe(403);
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/status`, { status: 'diproses' })).status).toBe(403);
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/note`, { note: 'lihat' })).status).toBe(403);
    expect((await ani.page(`/admin/inbox/c/${conversation.id}`)).status).toBe(403);
    expect((await ani.get(`/admin/api/inbox/c/${conversation.id}`)).status).toBe(403);
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/claim`)).status).toBe(403);
    // In the list the row stays (the citizen exists) but says nothing of the report.
    const row = (await list(ani, 'view=open')).rows.find((r) => r.id === conversation.id)!;
    expect(row.restricted).toBe(true);
    expect(row.tickets).toEqual([]);
    expect(row.preview).not.toContain('halo');
    // Search by its number finds nothing for an agent.
    expect((await list(ani, `q=${ticket.number}`)).rows).toEqual([]);

    // The supervisor sees and works it; the citizen hears about the status.
    const seen = await sari.get(`/admin/inbox/tickets/${ticket.id}`);
    expect(seen.status).toBe(200);
    expect(((await seen.json()) as { ticket: { categoryLabel: string; confidential: boolean } }).ticket).toMatchObject({ confidential: true });
    expect((await list(sari, `q=${ticket.number}`)).rows.map((r) => r.id)).toEqual([conversation.id]);
    expect((await sari.post(`/admin/inbox/tickets/${ticket.id}/status`, { status: 'diproses', note: 'Sedang kami periksa' })).status).toBe(200);
    const told = (await citizen.history()).at(-1)!;
    expect(told.text).toContain(ticket.number);
    expect(told.text).toMatch(/Sedang diproses/u);
    const page = await (await sari.page(`/admin/inbox/c/${conversation.id}`)).text();
    expect(page).toContain(ticket.number);
    expect(page).toContain('Rahasia');
  });
});

describe('tickets, notes, labels, search', () => {
  it('ticket status, priority, assignee and notes: recorded with who did it; the citizen hears of the status only', async () => {
    const { citizen, conversation } = await waitingCitizen();
    await ani.post(`/admin/inbox/c/${conversation.id}/claim`);
    const ticket = await server.app.dispatcher.tickets.create({ contactId: conversation.contactId, conversationId: conversation.id, channel: 'web', category: 'lambat', description: 'KTP belum jadi 3 bulan' });
    const heard = (await citizen.history()).length;
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/update`, { priority: 'tinggi', kecamatan: 'Palu Barat' })).status).toBe(200);
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/update`, { kecamatan: 'Kecamatan Khayalan' })).status).toBe(400);
    // Agents take tickets themselves; giving one to someone else is for supervisors.
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/update`, { assigneeId: users.budi!.id })).status).toBe(403);
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/update`, { assigneeId: users.ani!.id })).status).toBe(200);
    expect((await sari.post(`/admin/inbox/tickets/${ticket.id}/update`, { assigneeId: users.budi!.id })).status).toBe(200);
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/note`, { note: 'Sudah cek ke bagian cetak' })).status).toBe(200);
    expect((await citizen.history()).length).toBe(heard); // none of that went to the citizen
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/status`, { status: 'menunggu_warga', note: 'Mohon kirim foto resi' })).status).toBe(200);
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/status`, { status: 'hilang' })).status).toBe(400);
    const told = (await citizen.history()).at(-1)!;
    expect(told.text).toMatch(/Menunggu tanggapan Anda/u);
    expect(told.text).toContain('Mohon kirim foto resi');
    const stored = (await server.app.store.tickets.get(ticket.id))!;
    expect(stored).toMatchObject({ priority: 'tinggi', kecamatan: 'Palu Barat', assigneeId: users.budi!.id, status: 'menunggu_warga' });
    const events = stored.events.map((e) => [e.type, e.actor]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['updated', users.ani!.id],
        ['assigned', users.sari!.id],
        ['note', users.ani!.id],
        ['status', users.ani!.id],
      ]),
    );
    // The page shows the ticket with its history.
    const page = await (await ani.page(`/admin/inbox/c/${conversation.id}`)).text();
    expect(page).toContain(ticket.number);
    expect(page).toContain('Sudah cek ke bagian cetak');
    expect(page).toContain('Menunggu warga');
  });

  it('private notes stay internal; labels are normalised and filter the list; search finds by number, phone and words', async () => {
    const { citizen, conversation } = await waitingCitizen();
    await citizen.say('saya mau urus akta kelahiran kembar tiga');
    expect((await budi.post(`/admin/inbox/c/${conversation.id}/notes`, { text: 'Warga ini sudah datang kemarin' })).status).toBe(200);
    expect((await citizen.history()).some((m) => m.text.includes('sudah datang kemarin'))).toBe(false);
    const page = await (await budi.page(`/admin/inbox/c/${conversation.id}`)).text();
    expect(page).toContain('Warga ini sudah datang kemarin');
    expect(page).toContain('Catatan internal');
    expect((await budi.post(`/admin/inbox/c/${conversation.id}/labels`, { labels: 'Akta Lahir, mendesak,  , <b>x</b>' })).status).toBe(200);
    expect((await server.app.store.conversations.get(conversation.id))!.labels).toEqual(['akta-lahir', 'mendesak']);
    const labelled = await list(budi, 'view=open&label=mendesak');
    expect(labelled.rows.map((r) => r.id)).toEqual([conversation.id]);
    expect(labelled.rows[0]!.labels).toEqual(['akta-lahir', 'mendesak']);

    expect((await list(budi, 'q=kembar tiga')).rows.map((r) => r.id)).toContain(conversation.id);
    const ticket = await server.app.dispatcher.tickets.create({ contactId: conversation.contactId, conversationId: conversation.id, channel: 'web', category: 'layanan', description: 'antrian' });
    const byNumber = await list(budi, `q=${encodeURIComponent(ticket.number.toLowerCase().replace(/-/gu, ' '))}`);
    expect(byNumber.rows.map((r) => r.id)).toEqual([conversation.id]);
    expect(byNumber.rows[0]!.tickets.map((t) => t.number)).toContain(ticket.number);
    await server.app.store.contacts.update(conversation.contactId, { phone: '081299887766' });
    expect((await list(budi, 'q=0812-9988-7766')).rows.map((r) => r.id)).toContain(conversation.id);
    const html = await (await budi.page(`/admin/inbox?q=${encodeURIComponent('kembar tiga')}`)).text();
    expect(html).toContain('Hasil pencarian');
    expect(html).toContain(`data-id="${conversation.id}"`);
  });
});

describe('canned responses', () => {
  it('personal ones for everyone, shared ones for supervisors; the reply box gets both', async () => {
    const own = await ani.post('/admin/inbox/canned', { shortcut: '/Salam', title: 'Salam pembuka', text: 'Selamat siang, ada yang bisa dibantu?', scope: 'personal' });
    expect(own.status).toBe(201);
    expect((await ani.post('/admin/inbox/canned', { shortcut: 'syarat-ktp', title: 'Syarat KTP', text: 'Bawa KK asli.', scope: 'shared' })).status).toBe(403);
    expect((await sari.post('/admin/inbox/canned', { shortcut: 'syarat-ktp', title: 'Syarat KTP', text: 'Bawa KK asli.', scope: 'shared' })).status).toBe(201);
    expect((await ani.post('/admin/inbox/canned', { shortcut: 'salam', title: 'Lagi', text: 'Dobel', scope: 'personal' })).status).toBe(409);
    expect((await ani.post('/admin/inbox/canned', { shortcut: 'dua kata', title: 'x', text: 'y' })).status).toBe(400);
    const { responses } = await ani.json<{ responses: { id: string; shortcut: string; shared: boolean }[] }>('/admin/api/inbox/canned');
    expect(responses.map((r) => [r.shortcut, r.shared])).toEqual(expect.arrayContaining([['salam', false], ['syarat-ktp', true]]));
    // Budi sees the shared one, not Ani's.
    const budis = await budi.json<{ responses: { shortcut: string }[] }>('/admin/api/inbox/canned');
    expect(budis.responses.map((r) => r.shortcut)).toEqual(['syarat-ktp']);
    const shared = responses.find((r) => r.shared)!;
    const mine = responses.find((r) => !r.shared)!;
    expect((await ani.post(`/admin/inbox/canned/${shared.id}`, { shortcut: 'syarat-ktp', title: 'Ubah', text: 'Ubah' })).status).toBe(403);
    expect((await budi.post(`/admin/inbox/canned/${mine.id}/delete`)).status).toBe(403);
    expect((await ani.post(`/admin/inbox/canned/${mine.id}`, { shortcut: 'salam', title: 'Salam', text: 'Selamat pagi!' })).status).toBe(200);
    expect((await server.app.store.cannedResponses.get(mine.id))!.text).toBe('Selamat pagi!');
    // The page lists both groups.
    const page = await (await ani.page('/admin/inbox/canned')).text();
    expect(page).toContain('/salam');
    expect(page).toContain('/syarat-ktp');
    expect((await ani.post(`/admin/inbox/canned/${mine.id}/delete`)).status).toBe(200);
    expect(await server.app.store.cannedResponses.get(mine.id)).toBeNull();
  });
});

describe('the live stream', () => {
  it('tells open inboxes about new messages and claims with ids only, keeps the agent online, hides confidential tickets from agents', async () => {
    // Capacity 0: online, but never picked by auto-assignment (that would take the conversation out of Menunggu).
    await makeStaff(server.app, 'wati', 'agent', { capacity: 0 });
    const wati = await StaffClient.signIn(server.base, 'wati');
    let citizen: WebCitizen | undefined;
    let conversationId = '';
    const { events, status, headers } = await readEvents(`${server.base}/admin/inbox/events`, {
      headers: { cookie: wati.http.cookieHeader(), 'x-forwarded-for': wati.http.ip },
      async onOpen() {
        expect((await server.app.helpdesk.onlineAgents()).map((u) => u.username)).toContain('wati');
        const waiting = await waitingCitizen('mau bicara dengan petugas');
        citizen = waiting.citizen;
        conversationId = waiting.conversation.id;
        await waiting.citizen.say('<b>rahasia</b> NIK 7271010101010001');
        const secret = await server.app.dispatcher.tickets.create({ contactId: waiting.conversation.contactId, conversationId, channel: 'web', category: 'calo', description: 'calo di loket' });
        await server.app.dispatcher.tickets.create({ contactId: waiting.conversation.contactId, conversationId, channel: 'web', category: 'lambat', description: 'lambat' });
        void secret;
        await sari.post(`/admin/inbox/c/${conversationId}/claim`);
      },
      until: (seen) => seen.some((e) => e.data.includes('"type":"conversation"') && e.data.includes('"state":"agent"')),
      timeoutMs: 8000,
    });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/u);
    expect(citizen).toBeDefined();
    const data = events.filter((e) => !e.event).map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(data.some((e) => e.type === 'message' && e.conversationId === conversationId && e.author === 'citizen')).toBe(true);
    expect(data.some((e) => e.type === 'conversation' && e.conversationId === conversationId && e.state === 'waiting')).toBe(true);
    // Only ids and states: no text, no personal data.
    const raw = events.map((e) => e.data).join('\n');
    expect(raw).not.toContain('rahasia');
    expect(raw).not.toContain('7271010101010001');
    // One ticket event (lambat) reached the agent; the calo one did not.
    expect(data.filter((e) => e.type === 'ticket')).toHaveLength(1);
  });

  it('anonymous: the stream and every inbox route are closed', async () => {
    const stream = await fetch(`${server.base}/admin/inbox/events`, { redirect: 'manual', headers: { accept: 'text/event-stream' } });
    expect(stream.status).toBe(302);
    expect(stream.headers.get('location')).toMatch(/^\/admin\/login/u);
    expect((await fetch(`${server.base}/admin/inbox`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${server.base}/admin/api/inbox/list`, { redirect: 'manual' })).status).toBe(401);
    const post = await fetch(`${server.base}/admin/inbox/c/x/claim`, { method: 'POST', redirect: 'manual', headers: { accept: 'application/json' } });
    expect(post.status).toBe(401);
  });
});

describe('security', () => {
  it('CSRF: a POST without the token is refused with 403 and changes nothing', async () => {
    const { conversation } = await waitingCitizen();
    const response = await ani.post(`/admin/inbox/c/${conversation.id}/claim`, {}, { csrf: false });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe('csrf');
    expect((await server.app.store.conversations.get(conversation.id))!.state).toBe('waiting');
    const wrong = await ani.http.request('POST', `/admin/inbox/c/${conversation.id}/reply`, { json: { text: 'x' }, headers: { accept: 'application/json', 'x-csrf-token': 'salah' } });
    expect(wrong.status).toBe(403);
    const form = new FormData();
    form.append('text', 'tanpa token');
    const multipart = await fetch(`${server.base}/admin/inbox/c/${conversation.id}/reply`, { method: 'POST', body: form, headers: { cookie: ani.http.cookieHeader(), accept: 'application/json' }, redirect: 'manual' });
    expect(multipart.status).toBe(403);
    expect((await server.app.store.messages.list(conversation.id)).some((m) => m.author === 'agent')).toBe(false);
  });

  it('HTML and script typed by a citizen come back escaped in the list, the conversation and the JSON', async () => {
    const evil = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const { citizen, conversation } = await waitingCitizen();
    await citizen.say(evil);
    await server.app.store.contacts.update(conversation.contactId, { name: '<b onmouseover=alert(3)>Budi</b>' });
    const listHtml = await (await ani.page('/admin/inbox?view=waiting')).text();
    const pageHtml = await (await ani.page(`/admin/inbox/c/${conversation.id}`)).text();
    for (const html of [listHtml, pageHtml]) {
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<b onmouseover');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    }
    // JSON carries the literal text; the page script puts it in textContent.
    const row = (await list(ani, 'view=waiting')).rows.find((r) => r.id === conversation.id)!;
    expect(row.preview).toBe(evil);
    const content = (await ani.page(`/admin/inbox/c/${conversation.id}`)).headers.get('content-security-policy')!;
    expect(content).toContain("script-src 'self'");
    expect(content).not.toContain('unsafe-inline');
  });
});
