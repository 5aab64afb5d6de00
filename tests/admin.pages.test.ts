/**
 * The WhatsApp pairing page and the failed-deliveries page over real HTTP,
 * with a fake WhatsApp control object and a fake outbox retry (the real
 * ones belong to the WhatsApp channel and the delivery path).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WhatsappStatus } from '../admin/whatsapp.js';
import { Client, createUser, startAdminApp, type AdminTestApp } from './helpers/admin.js';

const PASSWORD = 'halaman admin yang rapi';
const QR = '2@Zq8sK1m4x9yR7tLw0vB3nP6cJ5hF2gD8aE1iO4uY7,Xc4bV7nM1zL0kJ9hG8fD7sA6pO5iU4yT3rE2wQ1=,Ab9Cd8Ef7Gh6Ij5Kl4Mn3Op2Qr1St0Uv=,Wx9Yz8';

let server: AdminTestApp;
let bare: AdminTestApp;
const calls: string[] = [];
const retried: string[] = [];
let failNext = false;
/** Named like the WhatsApp channel's own error for admins: its message is shown as is. */
class WhatsAppActionError extends Error {}

const setStatus = (app: AdminTestApp, status: WhatsappStatus) => app.app.store.settings.put('whatsapp.status', status);

beforeAll(async () => {
  server = await startAdminApp(
    {},
    {
      whatsappControl: {
        async requestPairingCode(phone) {
          if (failNext) {
            failNext = false;
            throw new WhatsAppActionError('Belum siap: tunggu sampai kode QR tampil (status "qr"), lalu minta kode lagi.');
          }
          calls.push(`pair ${phone}`);
        },
        async logout() {
          calls.push('logout');
        },
        async restart() {
          calls.push('restart');
        },
      },
      outbox: {
        async retry(id) {
          retried.push(id);
        },
      },
    },
  );
  // No WhatsApp channel, and a delivery path without retry.
  bare = await startAdminApp({}, { outbox: {} });
  for (const app of [server, bare]) {
    await createUser(app.app, { username: 'admin', password: PASSWORD, role: 'admin', displayName: 'Admin Kantor' });
    await createUser(app.app, { username: 'super', password: PASSWORD, role: 'supervisor' });
  }
});

afterAll(async () => {
  await server?.close();
  await bare?.close();
});

async function signIn(app: AdminTestApp, username = 'admin'): Promise<Client> {
  const client = new Client(app.base);
  expect((await client.login(username, PASSWORD)).status).toBe(303);
  return client;
}

describe('WhatsApp page', () => {
  it('shows the QR code from the published status as an image, with step-by-step instructions', async () => {
    await setStatus(server, { state: 'qr', qr: QR, since: new Date().toISOString() });
    const admin = await signIn(server);
    const html = await (await admin.get('/admin/whatsapp')).text();
    expect(html).toContain('Menunggu ditautkan');
    const src = /<img class="qr qr-big" data-field="qrImage" src="(data:image\/svg\+xml;base64,[^"]+)"/u.exec(html)![1]!;
    expect(Buffer.from(src.split(',')[1]!, 'base64').toString()).toMatch(/^<svg[^>]+viewBox/u);
    expect(html).toContain('Perangkat tertaut');
    expect(html).toContain('Tautkan perangkat');
    expect(html).toContain('whatsapp.js');
  });

  it('the status endpoint gives the same status as JSON for live updates, QR included', async () => {
    await setStatus(server, { state: 'qr', qr: QR, since: new Date().toISOString() });
    const admin = await signIn(server);
    const response = await admin.get('/admin/api/whatsapp/status');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const status = (await response.json()) as Record<string, unknown>;
    expect(status).toMatchObject({ enabled: true, state: 'qr', label: 'Menunggu ditautkan', tone: 'wait' });
    expect(status.qrImage).toMatch(/^data:image\/svg\+xml;base64,/u);

    await setStatus(server, { state: 'open', me: '6281234567890:7@s.whatsapp.net', since: '2026-11-22T01:00:00.000Z' });
    const open = (await (await admin.get('/admin/api/whatsapp/status')).json()) as Record<string, unknown>;
    expect(open).toMatchObject({ state: 'open', label: 'Terhubung', tone: 'ok', me: '+62 812-3456-7890', qrImage: null });
    expect(open.sinceText).toMatch(/22 Nov 2026/u);
  });

  it('pairing by code: the phone number is normalised and handed to the WhatsApp channel', async () => {
    await setStatus(server, { state: 'qr', qr: QR, since: new Date().toISOString() });
    const admin = await signIn(server);
    calls.length = 0;
    const response = await admin.postWithCsrf('/admin/whatsapp/pairing-code', { phone: '0812-3456-7890' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/whatsapp?pesan=kode');
    expect(calls).toEqual(['pair 6281234567890']);
    const bad = await admin.postWithCsrf('/admin/whatsapp/pairing-code', { phone: '12345' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Nomor HP tidak valid');
    expect(calls).toHaveLength(1);
    failNext = true;
    const refused = await admin.postWithCsrf('/admin/whatsapp/pairing-code', { phone: '+62 812 3456 7890' }, { accept: 'application/json' });
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ error: 'pairing_failed', message: 'Belum siap: tunggu sampai kode QR tampil (status "qr"), lalu minta kode lagi.' });
    await setStatus(server, { state: 'qr', qr: QR, pairingCode: 'ABCD1234', since: new Date().toISOString() });
    const page = await (await admin.get('/admin/whatsapp')).text();
    expect(page).toContain('ABCD-1234');
  });

  it('logout and reconnect go to the WhatsApp channel', async () => {
    const admin = await signIn(server);
    calls.length = 0;
    expect((await admin.postWithCsrf('/admin/whatsapp/logout')).status).toBe(303);
    await setStatus(server, { state: 'closed', since: new Date().toISOString(), retryAt: '2026-11-22T01:05:00.000Z', lastError: 'Koneksi internet server terputus.' });
    const page = await (await admin.get('/admin/whatsapp')).text();
    expect(page).toContain('Hubungkan ulang sekarang');
    expect(page).toMatch(/Mencoba lagi<\/dt><dd data-field="retryAtText">22 Nov 2026/u);
    expect((await admin.postWithCsrf('/admin/whatsapp/restart')).status).toBe(303);
    expect(calls).toEqual(['logout', 'restart']);
  });

  it('a masked linked number from the channel is shown as it is', async () => {
    await setStatus(server, { state: 'open', me: '6281****890', since: new Date().toISOString() });
    const admin = await signIn(server);
    expect(await (await admin.get('/admin/api/whatsapp/status')).json()).toMatchObject({ me: '6281****890' });
  });

  it('a logged-out or banned number is shown to admins on the home page too', async () => {
    await setStatus(server, { state: 'logged_out', since: new Date().toISOString(), lastError: '<script>alert(1)</script> 401 logged out' });
    const admin = await signIn(server);
    const home = await (await admin.get('/admin')).text();
    expect(home).toContain('WhatsApp: Keluar dari WhatsApp');
    const page = await (await admin.get('/admin/whatsapp')).text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; 401 logged out');
    expect(page).not.toContain('<script>alert(1)');
  });

  it('without the WhatsApp channel the page says so, and its actions answer 409', async () => {
    const admin = await signIn(bare);
    const html = await (await admin.get('/admin/whatsapp')).text();
    expect(html).toContain('WhatsApp tidak diaktifkan');
    expect(html).not.toContain('action="/admin/whatsapp/pairing-code"');
    expect((await admin.postWithCsrf('/admin/whatsapp/pairing-code', { phone: '081234567890' })).status).toBe(409);
    const json = await admin.postWithCsrf('/admin/whatsapp/logout', {}, { accept: 'application/json' });
    expect(json.status).toBe(409);
    expect(await json.json()).toMatchObject({ error: 'whatsapp_disabled' });
  });
});

describe('failed deliveries', () => {
  const failedIds = new Map<AdminTestApp, string>();

  beforeAll(async () => {
    for (const app of [server, bare]) {
      const store = app.app.store;
      const contact = await store.contacts.upsert('whatsapp', '6281298765432@s.whatsapp.net', 'Warga');
      const conversation = await store.conversations.open(contact);
      const { message } = await store.messages.add({
        conversationId: conversation.id,
        contactId: contact.id,
        channel: 'whatsapp',
        direction: 'out',
        author: 'bot',
        text: 'Tiket ADU-2026-000042 untuk NIK 7271012345678901 sudah kami terima. <b>Terima kasih</b>',
      });
      await store.messages.setDelivery(message.id, { status: 'failed', attempts: 5, sentParts: 0, platformMessageIds: [], lastError: 'timed out sending to 081298765432', updatedAt: new Date() });
      failedIds.set(app, message.id);
    }
  });

  it('supervisors see them with the channel, a masked recipient, the error and a retry button', async () => {
    const supervisor = await signIn(server, 'super');
    const html = await (await supervisor.get('/admin/deliveries')).text();
    expect(html).toContain('WhatsApp');
    expect(html).toContain('6281****432');
    expect(html).not.toContain('6281298765432');
    expect(html).toContain('7271********8901');
    expect(html).not.toContain('7271012345678901');
    expect(html).toContain('&lt;b&gt;Terima kasih&lt;/b&gt;');
    expect(html).toContain('timed out sending to 0812****432');
    expect(html).toContain('5 kali dicoba');
    expect(html).toContain('Kirim ulang');
    const retry = await supervisor.postWithCsrf(`/admin/deliveries/${failedIds.get(server)}/retry`);
    expect(retry.status).toBe(303);
    expect(retried).toEqual([failedIds.get(server)]);
    expect((await supervisor.postWithCsrf('/admin/deliveries/tidak-ada/retry')).status).toBe(404);
  });

  it('the admin home counts them', async () => {
    const admin = await signIn(server);
    expect(await (await admin.get('/admin')).text()).toContain('1 pesan gagal terkirim ke warga.');
  });

  it('without a retry in the delivery path the button is left out and the page says so', async () => {
    const supervisor = await signIn(bare, 'super');
    const html = await (await supervisor.get('/admin/deliveries')).text();
    expect(html).toContain('6281****432');
    expect(html).not.toContain('>Kirim ulang</button>');
    expect(html).toContain('Kirim ulang dari halaman ini belum tersedia');
    expect((await supervisor.postWithCsrf(`/admin/deliveries/${failedIds.get(bare)}/retry`)).status).toBe(409);
  });

  it('with the real delivery path, a message on a channel that is not running here is not retried, and the page says why', async () => {
    const real = await startAdminApp();
    try {
      await createUser(real.app, { username: 'super', password: PASSWORD, role: 'supervisor' });
      const store = real.app.store;
      const contact = await store.contacts.upsert('whatsapp', '6281298765432@s.whatsapp.net');
      const conversation = await store.conversations.open(contact);
      const { message } = await store.messages.add({ conversationId: conversation.id, contactId: contact.id, channel: 'whatsapp', direction: 'out', author: 'bot', text: 'Halo' });
      await store.messages.setDelivery(message.id, { status: 'failed', attempts: 5, sentParts: 0, platformMessageIds: [], lastError: 'Connection Closed', updatedAt: new Date() });
      const supervisor = await signIn(real, 'super');
      expect(await (await supervisor.get('/admin/deliveries')).text()).toContain('>Kirim ulang</button>');
      const retry = await supervisor.postWithCsrf(`/admin/deliveries/${message.id}/retry`);
      expect(retry.status).toBe(409);
      expect(await retry.text()).toContain('saluran WhatsApp tidak aktif');
      expect((await store.messages.get(message.id))!.delivery!.status).toBe('failed');
    } finally {
      await real.close();
    }
  });
});
