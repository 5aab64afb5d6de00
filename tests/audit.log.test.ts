/**
 * The audit log through real HTTP on the real app. Staff change a ticket and
 * a conversation in the inbox (status by an agent; priority, category,
 * kecamatan, assignee and reassignment by a supervisor; closing by the agent
 * who got it): each change is one audit event, by the right person, with
 * phone numbers masked, and nothing is recorded for the bot or the system.
 * Admins browse it newest first and filter by person, kind, target (a ticket
 * number in any spelling) and dates counted on the office's clock; "Lebih
 * lama" pages without gaps or repeats; the CSV export carries the same rows
 * and cannot smuggle a spreadsheet formula. Supervisors and agents get 403.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent, Ticket, User } from '../bot/store/types.js';
import type { AdminTestApp } from './helpers/admin.js';
import { makeStaff, StaffClient, startInboxApp, WebCitizen } from './helpers/inbox.js';

interface EventView {
  id: string;
  actor: string;
  actorId: string;
  action: string;
  label: string;
  target: string;
  summary: string;
  time: string;
  open: string | null;
}

let server: AdminTestApp;
let admin: StaffClient;
let sari: StaffClient;
let budi: StaffClient;
let ani: StaffClient;
const staff: Record<string, User> = {};
let ticket: Ticket;
let conversationId = '';

async function list(query = ''): Promise<{ events: EventView[]; older: string | null }> {
  return admin.json(`/admin/audit${query}`);
}

beforeAll(async () => {
  server = await startInboxApp();
  staff.adi = await makeStaff(server.app, 'adi', 'admin', { displayName: 'Adi Pratama' });
  staff.sari = await makeStaff(server.app, 'sari', 'supervisor', { displayName: 'Sari Dewi' });
  // Capacity 0: never given conversations automatically, so the supervisor's reassignment is the only one.
  staff.budi = await makeStaff(server.app, 'budi', 'agent', { capacity: 0, displayName: 'Budi Santoso' });
  staff.ani = await makeStaff(server.app, 'ani', 'agent', { capacity: 0, displayName: 'Ani Lestari' });
  [admin, sari, budi, ani] = await Promise.all(['adi', 'sari', 'budi', 'ani'].map((name) => StaffClient.signIn(server.base, name)));

  // A citizen who complained earlier (the ticket is the bot's doing, not audited) and now wants a human.
  const citizen = await WebCitizen.start(server.base);
  await citizen.say('halo');
  const conversation = await citizen.conversation(server.app);
  conversationId = conversation.id;
  ticket = await server.app.dispatcher.tickets.create({ contactId: conversation.contactId, conversationId, channel: 'web', category: 'lambat', description: 'KTP-el belum jadi sejak tiga bulan' });
  await citizen.say('mau bicara dengan petugas');
});

afterAll(async () => {
  await server?.close();
});

describe('changes in the inbox land in the audit log', () => {
  it('ticket and conversation changes, one event each, by the person who made them', async () => {
    const status = await budi.post(`/admin/inbox/tickets/${ticket.id}/status`, { status: 'diproses', note: 'Sedang dicek. Bila perlu, hubungi 081234567890.' });
    expect(status.status).toBe(200);
    const update = await sari.post(`/admin/inbox/tickets/${ticket.id}/update`, { priority: 'tinggi', category: 'data-salah', kecamatan: 'Tatanga', assigneeId: staff.budi!.id });
    expect(update.status).toBe(200);
    expect((await sari.post(`/admin/inbox/c/${conversationId}/assign`, { agentId: staff.ani!.id })).status).toBe(200);
    expect((await ani.post(`/admin/inbox/c/${conversationId}/close`)).status).toBe(200);

    const { events } = await list();
    expect(events.map((e) => [e.action, e.actor, e.target, e.summary])).toEqual([
      ['conversation.close', 'Ani Lestari', conversationId, 'Percakapan web chat ditutup'],
      ['conversation.assign', 'Sari Dewi', conversationId, 'Percakapan web chat dialihkan ke Ani Lestari'],
      ['ticket.assign', 'Sari Dewi', ticket.number, 'Petugas: belum ada → Budi Santoso'],
      ['ticket.kecamatan', 'Sari Dewi', ticket.number, 'Tempat: belum diisi → Tatanga'],
      ['ticket.category', 'Sari Dewi', ticket.number, 'Kategori: Dokumen belum jadi / proses lambat → Data atau dokumen salah'],
      ['ticket.priority', 'Sari Dewi', ticket.number, 'Prioritas: normal → tinggi'],
      ['ticket.status', 'Budi Santoso', ticket.number, 'Status: baru → diproses. Pesan ke warga: Sedang dicek. Bila perlu, hubungi 0812****890.'],
    ]);
    expect(events[0]!.label).toBe('Percakapan ditutup');
    expect(events[6]!.label).toBe('Status tiket diubah');
    // What the bot, the citizen and the deadline jobs did is in the ticket's history, not here.
    const all = await server.app.store.audit.list({});
    expect(all.every((event) => Object.values(staff).some((user) => user.id === event.actorId))).toBe(true);
    const stored = await server.app.store.tickets.get(ticket.id);
    expect(stored!.events.some((event) => event.actor === 'system')).toBe(true);
  });

  it('the page shows names, readable labels, office time and links to what changed', async () => {
    const html = await (await admin.page('/admin/audit')).text();
    expect(html).toContain('<h1>Log audit</h1>');
    expect(html).toContain('Sari Dewi');
    expect(html).toContain('Prioritas tiket diubah');
    expect(html).toMatch(/\d{1,2} \w{3} \d{4}, \d{2}\.\d{2} WITA/u);
    expect(html).toContain(`href="/admin/inbox/tickets/${ticket.id}"`);
    expect(html).toContain(`href="/admin/inbox/c/${conversationId}"`);
    expect(html).toContain(`href="/admin/audit?sasaran=${ticket.number}"`);
    expect(html).not.toContain('081234567890');
    expect(html).toContain('<optgroup label="Tiket">');
  });
});

describe('filters', () => {
  it('by person, by kind, and by target (a ticket number however it is typed)', async () => {
    const bySari = await list(`?orang=${staff.sari!.id}`);
    expect(bySari.events.map((e) => e.action)).toEqual(['conversation.assign', 'ticket.assign', 'ticket.kecamatan', 'ticket.category', 'ticket.priority']);
    const statuses = await list('?jenis=ticket.status');
    expect(statuses.events.map((e) => e.actor)).toEqual(['Budi Santoso']);
    const loose = ticket.number.toLowerCase().replace(/-/gu, ' ').replace(/ 0+/u, ' ');
    const onTicket = await list(`?sasaran=${encodeURIComponent(loose)}`);
    expect(onTicket.events).toHaveLength(5);
    expect(new Set(onTicket.events.map((e) => e.target))).toEqual(new Set([ticket.number]));
    const combined = await list(`?orang=${staff.sari!.id}&sasaran=${ticket.number}&jenis=ticket.assign`);
    expect(combined.events.map((e) => e.summary)).toEqual(['Petugas: belum ada → Budi Santoso']);
    expect((await list('?sasaran=tidak-ada')).events).toEqual([]);
    const html = await (await admin.page(`/admin/audit?orang=${staff.sari!.id}&jenis=ticket.status`)).text();
    expect(html).toContain('Tidak ada perubahan yang cocok dengan saringan ini.');
    expect(html).toContain('Hapus saringan');
  });

  it('dates are whole days on the office\'s clock (WITA), both ends included', async () => {
    const add = (at: string, target: string) => server.app.store.audit.add({ at: new Date(at), actorId: staff.adi!.id, action: 'settings.office', target, summary: `Uji tanggal ${target}` });
    await add('2030-01-04T15:59:00Z', 'hari-4-malam'); // 4 Jan 23.59 WITA
    await add('2030-01-04T16:00:00Z', 'hari-5-pagi'); // 5 Jan 00.00 WITA
    await add('2030-01-05T15:30:00Z', 'hari-5-malam'); // 5 Jan 23.30 WITA
    await add('2030-01-05T16:30:00Z', 'hari-6-pagi'); // 6 Jan 00.30 WITA
    const targets = async (query: string) => (await list(query)).events.map((e) => e.target);
    expect(await targets('?dari=2030-01-05&sampai=2030-01-05')).toEqual(['hari-5-malam', 'hari-5-pagi']);
    expect(await targets('?dari=2030-01-06')).toEqual(['hari-6-pagi']);
    expect(await targets('?dari=2030-01-01&sampai=2030-01-04')).toEqual(['hari-4-malam']);
    const wrong = await admin.get('/admin/audit?dari=2030-02-30');
    expect(wrong.status).toBe(400);
    const page = await (await admin.page('/admin/audit?dari=2030-01-06&sampai=2030-01-05')).text();
    expect(page).toContain('Tanggal akhir harus sama dengan atau sesudah tanggal awal.');
  });

  it('"Lebih lama" pages through everything, newest first, without gaps or repeats', async () => {
    const added: AuditEvent[] = [];
    for (let i = 0; i < 63; i++) added.push(await server.app.store.audit.add({ actorId: staff.adi!.id, action: 'user.role', target: 'massal', summary: `Perubahan ${i}` }));
    const first = await list('?sasaran=massal');
    expect(first.events).toHaveLength(50);
    expect(first.older).toBe(first.events.at(-1)!.id);
    const second = await list(`?sasaran=massal&sebelum=${first.older}`);
    expect(second.events).toHaveLength(13);
    expect(second.older).toBeNull();
    expect([...first.events, ...second.events].map((e) => e.summary)).toEqual(added.map((e) => e.summary).reverse());
    const html = await (await admin.page('/admin/audit?sasaran=massal')).text();
    expect(html).toContain(`href="/admin/audit?sasaran=massal&amp;sebelum=${first.older}"`);
    expect(html).toContain('Lebih lama');
    const older = await (await admin.page(`/admin/audit?sasaran=massal&sebelum=${first.older}`)).text();
    expect(older).not.toContain('Lebih lama');
    expect(older).toContain('Kembali ke yang terbaru');
  });
});

describe('CSV export', () => {
  it('has the filtered rows with names and labels, readable by spreadsheets, formulas neutralised', async () => {
    const response = await admin.get(`/admin/audit/csv?orang=${staff.sari!.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="log-audit-\d{4}-\d{2}-\d{2}\.csv"$/u);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trim().split('\r\n');
    expect(lines[0]).toBe('"Waktu","Orang","Nama pengguna","Tindakan","Kode tindakan","Sasaran","Ringkasan"');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^"[^"]+WITA","Sari Dewi","sari","Percakapan dialihkan","conversation.assign","[0-9A-Z]{26}","Percakapan web chat dialihkan ke Ani Lestari"$/u);

    await server.app.store.audit.add({ actorId: staff.adi!.id, action: 'settings.office', target: 'rumus', summary: '=HYPERLINK("http://contoh.invalid","klik")' });
    const formula = await (await admin.get('/admin/audit/csv?sasaran=rumus')).text();
    expect(formula).toContain(`"'=HYPERLINK(""http://contoh.invalid"",""klik"")"`);
  });
});

describe('access', () => {
  it('supervisors and agents get 403 on the log and its export', async () => {
    for (const client of [sari, budi]) {
      expect((await client.get('/admin/audit')).status).toBe(403);
      expect((await client.page('/admin/audit')).status).toBe(403);
      expect((await client.get('/admin/audit/csv')).status).toBe(403);
    }
  });
});
