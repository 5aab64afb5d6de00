/**
 * The web chat API against the real app (real store, real engine, real
 * HTTP): sessions, validation errors, answers, idempotent retries, history,
 * the live stream and its resumption, photo and PDF attachments (upload,
 * ticket, who may read them back), CORS, and the widget's size.
 */
import { senderIdOf } from '../channels/webchat/session.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { publicDir } from '../channels/webchat/static.js';
import type { WebMessage } from '../channels/webchat/encode.js';
import { makePng, readEvents, startApp, type RunningApp } from './helpers/webchat.js';

let server: RunningApp;
let base: string;

beforeAll(async () => {
  server = await startApp();
  base = server.base;
});

afterAll(async () => {
  await server?.close();
});

async function newSession(): Promise<string> {
  const res = await fetch(`${base}/webchat/api/session`, { method: 'POST' });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { session: string };
  return body.session;
}

interface PostResult {
  status: number;
  body: { message: WebMessage; replies: WebMessage[]; duplicate: boolean; error?: string; message_?: string };
  headers: Headers;
}

async function post(session: string | undefined, payload: unknown, init: { contentType?: string; raw?: string } = {}): Promise<PostResult> {
  const headers: Record<string, string> = { 'Content-Type': init.contentType ?? 'application/json' };
  if (session !== undefined) headers['X-Siratu-Session'] = session;
  const res = await fetch(`${base}/webchat/api/messages`, { method: 'POST', headers, body: init.raw ?? JSON.stringify(payload) });
  return { status: res.status, body: (await res.json()) as PostResult['body'], headers: res.headers };
}

async function ask(session: string, text: string, clientMessageId = randomUUID()) {
  const result = await post(session, { text, clientMessageId });
  expect(result.status).toBe(200);
  return result.body;
}

async function history(session: string, after?: string): Promise<WebMessage[]> {
  const res = await fetch(`${base}/webchat/api/messages${after ? `?after=${after}` : ''}`, { headers: { 'X-Siratu-Session': session } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: WebMessage[] }).messages;
}

/** The error JSON every failure uses: a code, an Indonesian message for citizens and an English one for developers. */
function expectError(body: unknown, code: string) {
  expect(body).toEqual({ error: code, message: expect.any(String), messageEn: expect.any(String) });
  const { message, messageEn } = body as { message: string; messageEn: string };
  expect(message.length).toBeGreaterThan(10);
  expect(messageEn.length).toBeGreaterThan(10);
}

describe('sessions', () => {
  it('issues random url-safe session ids of at least 32 characters', async () => {
    const [a, b] = await Promise.all([newSession(), newSession()]);
    expect(a).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(b).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(a).not.toBe(b);
  });

  it.each([
    ['missing', undefined],
    ['too short', 'abc'],
    ['with bad characters', 'x'.repeat(30) + '<script>'],
  ])('rejects a %s session id with 400 and a clear message', async (_name, session) => {
    const result = await post(session, { text: 'halo', clientMessageId: randomUUID() });
    expect(result.status).toBe(400);
    expectError(result.body, 'invalid_session');
    expect((result.body as unknown as { message: string }).message).toMatch(/Sesi/);
    const res = await fetch(`${base}/webchat/api/messages?session=${encodeURIComponent(session ?? '')}`);
    expect(res.status).toBe(400);
    expectError(await res.json(), 'invalid_session');
  });
});

describe('POST /webchat/api/messages validation', () => {
  let session: string;
  beforeAll(async () => {
    session = await newSession();
  });

  it.each([
    ['text missing', 'text_required', { clientMessageId: randomUUID() }],
    ['text not a string', 'text_required', { text: 42, clientMessageId: randomUUID() }],
    ['text only spaces', 'text_required', { text: '   \n ', clientMessageId: randomUUID() }],
    ['text over 4000 characters', 'text_too_long', { text: 'a'.repeat(4001), clientMessageId: randomUUID() }],
    ['clientMessageId missing', 'invalid_client_message_id', { text: 'halo' }],
    ['clientMessageId malformed', 'invalid_client_message_id', { text: 'halo', clientMessageId: 'a b' }],
    ['body an array', 'invalid_body', ['halo']],
  ])('%s → 400 %s', async (_name, code, payload) => {
    const result = await post(session, payload);
    expect(result.status).toBe(400);
    expectError(result.body, code);
  });

  it('accepts exactly 4000 characters', async () => {
    const result = await post(session, { text: 'a'.repeat(4000), clientMessageId: randomUUID() });
    expect(result.status).toBe(200);
  });

  it('invalid JSON → 400, a body over 16 KB → 413, a non-JSON body → 415, all with clear messages', async () => {
    const broken = await post(session, undefined, { raw: '{"text": "halo",' });
    expect(broken.status).toBe(400);
    expectError(broken.body, 'invalid_json');

    const large = await post(session, undefined, { raw: JSON.stringify({ text: 'a'.repeat(17 * 1024), clientMessageId: randomUUID() }) });
    expect(large.status).toBe(413);
    expectError(large.body, 'too_large');
    expect((large.body as unknown as { message: string }).message).toMatch(/terlalu besar/);

    const form = await post(session, undefined, { contentType: 'text/plain', raw: 'halo' });
    expect(form.status).toBe(415);
    expectError(form.body, 'not_json');
  });

  it('unknown API paths answer JSON 404', async () => {
    const res = await fetch(`${base}/webchat/api/nope`);
    expect(res.status).toBe(404);
    expectError(await res.json(), 'not_found');
  });
});

describe('conversation', () => {
  it('answers "syarat akta kelahiran" with the checklist from the knowledge base', async () => {
    const session = await newSession();
    const { message, replies, duplicate } = await ask(session, 'syarat akta kelahiran');
    expect(duplicate).toBe(false);
    expect(message).toMatchObject({ direction: 'in', author: 'citizen', text: 'syarat akta kelahiran' });
    expect(replies.length).toBeGreaterThanOrEqual(1);
    const answer = replies[0]!;
    expect(answer).toMatchObject({ direction: 'out', author: 'bot', kind: 'answer' });
    expect(answer.text).toContain('Akta');
    expect(answer.text).toMatch(/surat keterangan lahir/i); // first requirement in knowledge/entries/akta-kelahiran.yaml
    expect(answer.id).toMatch(/^[A-Za-z0-9_-]{10,64}$/); // ULID-based; replies derive theirs from the inbound id
    expect(new Date(answer.createdAt).toString()).not.toBe('Invalid Date');
    expect(Array.isArray(answer.options)).toBe(true);
    const stored = await server.app.store.messages.get(answer.id);
    expect(stored?.entry).toBe('akta-kelahiran');
  });

  it('menu replies carry tappable options {label, value}', async () => {
    const session = await newSession();
    const { replies } = await ask(session, 'menu');
    const menu = replies.at(-1)!;
    expect(menu.kind).toBe('menu');
    expect(menu.options.length).toBeGreaterThan(3);
    for (const option of menu.options) expect(option).toEqual({ label: expect.any(String), value: expect.any(String) });
    // Sending an option's value is the same as choosing it.
    const next = await ask(session, menu.options[0]!.value);
    expect(next.replies[0]!.kind).toMatch(/menu|answer/);
  });

  it('a retried POST with the same clientMessageId gets the same replies and never a second turn', async () => {
    const session = await newSession();
    const clientMessageId = randomUUID();
    const first = await ask(session, 'syarat akta kelahiran', clientMessageId);
    const retried = await ask(session, 'syarat akta kelahiran', clientMessageId);
    expect(retried.duplicate).toBe(true);
    expect(retried.message.id).toBe(first.message.id);
    expect(retried.message.clientMessageId).toBe(clientMessageId);
    expect(retried.replies.map((reply) => reply.id)).toEqual(first.replies.map((reply) => reply.id));

    const all = await history(session);
    expect(all.filter((m) => m.author === 'citizen')).toHaveLength(1);
    expect(all.filter((m) => m.author === 'bot')).toHaveLength(first.replies.length);
  });

  it('a clientMessageId used by another session is a different message (no blocking, no leaking)', async () => {
    const [alice, mallory] = await Promise.all([newSession(), newSession()]);
    const clientMessageId = randomUUID();
    const a = await ask(alice, 'syarat akta kelahiran', clientMessageId);
    const m = await ask(mallory, 'halo', clientMessageId);
    expect(m.duplicate).toBe(false);
    expect(m.message.id).not.toBe(a.message.id);
    expect(m.replies.map((r) => r.id)).not.toEqual(a.replies.map((r) => r.id));
    expect((await history(mallory)).some((msg) => msg.text.includes('Surat keterangan lahir'))).toBe(false);
  });

  it('history survives a "reload": all messages of the contact, oldest first, and ?after= pages on', async () => {
    const session = await newSession();
    const one = await ask(session, 'halo');
    const two = await ask(session, 'syarat akta kelahiran');
    const all = await history(session);
    const ids = [one.message, ...one.replies, two.message, ...two.replies].map((m) => m.id);
    expect(all.map((m) => m.id)).toEqual(ids);
    expect([...ids].sort()).toEqual(ids);
    expect(all[0]).toMatchObject({ author: 'citizen', text: 'halo' });
    expect(all[0]!.clientMessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await history(session, one.replies.at(-1)!.id)).map((m) => m.id)).toEqual(ids.slice(one.replies.length + 1));

    const bad = await fetch(`${base}/webchat/api/messages?after=${encodeURIComponent('../x')}`, { headers: { 'X-Siratu-Session': session } });
    expect(bad.status).toBe(400);
    expectError(await bad.json(), 'invalid_after');
    // Another browser sees nothing of it.
    expect(await history(await newSession())).toEqual([]);
  });

  it('limits how fast one session can send', async () => {
    const session = await newSession();
    let last: PostResult | undefined;
    for (let i = 0; i < 31; i++) last = await post(session, { text: `halo ${i}`, clientMessageId: randomUUID() });
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expectError(last!.body, 'rate_limited');
  });
});

describe('GET /webchat/api/events (Server-Sent Events)', () => {
  it('streams the citizen message and the bot reply with their ids as event ids', async () => {
    const session = await newSession();
    const listenersBefore = server.app.dispatcher.events.listenerCount('message');
    let posted: Awaited<ReturnType<typeof ask>> | undefined;
    const { events, status, headers } = await readEvents(`${base}/webchat/api/events?session=${session}`, {
      until: (seen) => seen.length >= 2,
      onOpen: async () => {
        posted = await ask(session, 'syarat akta kelahiran');
      },
    });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    const messages = events.map((event) => ({ id: event.id, message: JSON.parse(event.data) as WebMessage }));
    expect(messages[0]!.message).toMatchObject({ author: 'citizen', text: 'syarat akta kelahiran', id: posted!.message.id });
    expect(messages[1]!.message).toMatchObject({ author: 'bot', kind: 'answer', id: posted!.replies[0]!.id });
    for (const { id, message } of messages) expect(id).toBe(message.id);
    expect(server.app.dispatcher.events.listenerCount('message')).toBe(listenersBefore); // one channel listener, not one per stream
  });

  it('resumes after Last-Event-ID (or ?after=) with what was missed, then stays live', async () => {
    const session = await newSession();
    const first = await ask(session, 'halo');
    const missed = await ask(session, 'syarat akta kelahiran');
    const expected = [missed.message, ...missed.replies].map((m) => m.id);

    const resumed = await readEvents(`${base}/webchat/api/events?session=${session}`, {
      headers: { 'Last-Event-ID': first.replies.at(-1)!.id },
      until: (seen) => seen.length >= expected.length,
    });
    expect(resumed.events.map((e) => e.id)).toEqual(expected);

    const viaQuery = await readEvents(`${base}/webchat/api/events?session=${session}&after=${first.message.id}`, {
      until: (seen) => seen.length >= expected.length + first.replies.length + 1,
      onOpen: async () => {
        await ask(session, 'terima kasih');
      },
    });
    const ids = viaQuery.events.map((e) => e.id!);
    expect(ids.slice(0, first.replies.length + expected.length)).toEqual([...first.replies.map((r) => r.id), ...expected]);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates between catch-up and live
  });

  it('delivers an officer reply stored later (author agent) and nothing from other contacts', async () => {
    const [session, other] = await Promise.all([newSession(), newSession()]);
    await ask(session, 'saya mau bicara dengan petugas');
    await ask(other, 'halo');
    const { store, dispatcher } = server.app;
    const { events } = await readEvents(`${base}/webchat/api/events?session=${session}`, {
      until: (seen) => seen.length >= 1,
      onOpen: async () => {
        await ask(other, 'syarat KTP');
        // What the agent side will do: store the officer's message and announce it on the dispatcher's events.
        const conversation = await store.conversations.open(await store.contacts.upsert('web', senderIdOf(session)));
        const { message: reply } = await store.messages.add({
          conversationId: conversation.id,
          contactId: conversation.contactId,
          channel: 'web',
          direction: 'out',
          author: 'agent',
          authorId: 'petugas-1',
          text: 'Halo, saya *Rina* dari Disdukcapil. Ada yang bisa dibantu?',
        });
        dispatcher.events.emit('message', reply, conversation);
      },
    });
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ author: 'agent', direction: 'out', text: expect.stringContaining('Rina') });
  });

  it('rejects a stream without a valid session', async () => {
    const res = await fetch(`${base}/webchat/api/events`);
    expect(res.status).toBe(400);
    expectError(await res.json(), 'invalid_session');
  });
});

describe('attachments: POST /webchat/api/attachments and GET /webchat/api/files/:key', () => {
  /** A small real PNG: a 12×8 gradient. */
  const png = makePng(12, 8, (x, y) => [x * 20, y * 30, 200]);

  interface Upload {
    file?: { data: Buffer; name: string; type: string };
    text?: string;
    clientMessageId?: string;
    extra?: (form: FormData) => void;
  }

  async function upload(session: string, { file, text, clientMessageId = randomUUID(), extra }: Upload) {
    const form = new FormData();
    if (text !== undefined) form.append('text', text);
    if (clientMessageId) form.append('clientMessageId', clientMessageId);
    if (file) form.append('file', new Blob([new Uint8Array(file.data)], { type: file.type }), file.name);
    extra?.(form);
    const res = await fetch(`${base}/webchat/api/attachments`, { method: 'POST', headers: { 'X-Siratu-Session': session }, body: form });
    return { status: res.status, body: (await res.json()) as PostResult['body'] };
  }

  const getFile = (url: string, session?: string, viaQuery = false) =>
    fetch(`${base}/webchat/api/${url}${viaQuery && session ? `?session=${session}` : ''}`, { headers: session && !viaQuery ? { 'X-Siratu-Session': session } : {} });

  it('a photo sent during a complaint is kept with the ticket, and its sender can read it back with safe headers', async () => {
    const session = await newSession();
    await ask(session, 'mau buat pengaduan');
    const category = await ask(session, '1');
    expect(category.replies.at(-1)!.text).toMatch(/Ceritakan/);

    const sent = await upload(session, { file: { data: png, name: 'bukti antrean.png', type: 'image/png' } });
    expect(sent.status).toBe(200);
    expect(sent.body.duplicate).toBe(false);
    expect(sent.body.message).toMatchObject({ author: 'citizen', direction: 'in', text: '' });
    expect(sent.body.message.attachments).toEqual([{ kind: 'image', fileName: 'bukti antrean.png', mimeType: 'image/png', size: png.length, url: expect.stringMatching(/^files\/[A-Za-z0-9_-]+$/) }]);
    expect(sent.body.replies[0]!.text).toMatch(/Lampiran diterima \(1 berkas\)/);
    const { url } = sent.body.message.attachments[0]!;

    await ask(session, 'Petugas loket minta uang tambahan supaya KTP cepat jadi, ini foto antreannya.');
    await ask(session, 'lewati');
    await ask(session, 'lewati');
    const confirm = await ask(session, 'lewati');
    expect(confirm.replies.at(-1)!.text).toMatch(/Lampiran: 1 berkas/);
    const filed = await ask(session, 'ya');
    const number = filed.replies.at(-1)!.text.match(/ADU-\d{4}-\d{6}/)![0];

    const ticket = (await server.app.store.tickets.byNumber(number))!;
    const key = url.slice('files/'.length);
    expect(ticket.attachments).toEqual([{ kind: 'image', key, fileName: 'bukti antrean.png', mimeType: 'image/png', size: png.length }]);

    for (const viaQuery of [false, true]) {
      const res = await getFile(url, session, viaQuery);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="bukti antrean\.png"/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('private, max-age=3600');
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
      expect(res.headers.get('content-security-policy')).not.toMatch(/script-src/);
    }

    // The history carries the attachment too.
    const stored = (await history(session)).find((m) => m.id === sent.body.message.id)!;
    expect(stored.attachments).toEqual(sent.body.message.attachments);

    // Right after filing, another photo joins the ticket.
    const later = await upload(session, { file: { data: png, name: 'IMG_2041.PNG', type: 'image/png' } });
    expect(later.body.replies[0]!.text).toContain(`Lampiran sudah ditambahkan ke pengaduan *${number}*`);
    expect((await server.app.store.tickets.byNumber(number))!.attachments).toHaveLength(2);

    // Anyone else gets the same 404 as for a key that does not exist: keys cannot be probed.
    const stranger = await getFile(url, await newSession());
    expect(stranger.status).toBe(404);
    const strangerBody = await stranger.json();
    expectError(strangerBody, 'file_not_found');
    const missing = await getFile('files/01JZZZZZZZZZZZZZZZZZZZZZZZ', session);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual(strangerBody);
    expect((await getFile('files/..%2F..%2Fetc', session)).status).toBe(404);
    expect((await getFile(url)).status).toBe(400);
  });

  it('sends the caption as the message text; a retry with the same clientMessageId stores nothing twice', async () => {
    const session = await newSession();
    const clientMessageId = randomUUID();
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const first = await upload(session, { file: { data: pdf, name: 'C:\\Users\\ani\\surat "pindah".pdf', type: 'application/pdf' }, text: 'surat pindah saya', clientMessageId });
    expect(first.status).toBe(200);
    expect(first.body.message.text).toBe('surat pindah saya');
    expect(first.body.message.attachments[0]).toMatchObject({ kind: 'document', mimeType: 'application/pdf', fileName: 'surat _pindah_.pdf', size: pdf.length });
    expect(first.body.replies.length).toBeGreaterThan(0);

    const retried = await upload(session, { file: { data: pdf, name: 'surat.pdf', type: 'application/pdf' }, text: 'surat pindah saya', clientMessageId });
    expect(retried.status).toBe(200);
    expect(retried.body.duplicate).toBe(true);
    expect(retried.body.message.id).toBe(first.body.message.id);
    expect(retried.body.message.attachments).toEqual(first.body.message.attachments);
    expect(retried.body.replies.map((r) => r.id)).toEqual(first.body.replies.map((r) => r.id));
    expect((await history(session)).filter((m) => m.author === 'citizen')).toHaveLength(1);

    const res = await getFile(first.body.message.attachments[0]!.url, session);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    // The quote cannot break out of the header; the exact name is in filename*.
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="surat _pindah_.pdf"; filename*=UTF-8''surat%20_pindah_.pdf`);
  });

  it('cuts long names to 100 characters and drops any path', async () => {
    const session = await newSession();
    const sent = await upload(session, { file: { data: png, name: `../../etc/${'foto-ktp-'.repeat(20)}.png`, type: 'image/png' } });
    const { fileName } = sent.body.message.attachments[0]!;
    expect(fileName.length).toBeLessThanOrEqual(100);
    expect(fileName).toMatch(/^foto-ktp-.*\.png$/);
    expect(sent.body.replies[0]!.text).toMatch(/berkas Anda sudah kami terima/); // a photo outside any flow still gets a reply
  });

  it('refuses a text file renamed .png (415), a file over 5 MB (413), no file (400), with clear messages', async () => {
    const session = await newSession();
    const fake = await upload(session, { file: { data: Buffer.from('ini bukan gambar, cuma teks biasa\n'), name: 'foto.png', type: 'image/png' } });
    expect(fake.status).toBe(415);
    expectError(fake.body, 'unsupported_file_type');
    expect((fake.body as unknown as { message: string }).message).toMatch(/JPG.*PDF/);

    const svg = await upload(session, { file: { data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), name: 'x.svg', type: 'image/svg+xml' } });
    expect(svg.status).toBe(415);
    // PNG bytes declared as something else that is not allowed are refused as well.
    expect((await upload(session, { file: { data: png, name: 'x.html', type: 'text/html' } })).status).toBe(415);

    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0);
    png.copy(big);
    const large = await upload(session, { file: { data: big, name: 'besar.png', type: 'image/png' } });
    expect(large.status).toBe(413);
    expectError(large.body, 'file_too_large');
    expect((large.body as unknown as { message: string }).message).toMatch(/5 MB/);

    const none = await upload(session, { text: 'ini fotonya' });
    expect(none.status).toBe(400);
    expectError(none.body, 'file_required');

    const noId = await upload(session, { file: { data: png, name: 'a.png', type: 'image/png' }, clientMessageId: '' });
    expect(noId.status).toBe(400);
    expectError(noId.body, 'invalid_client_message_id');

    const longCaption = await upload(session, { file: { data: png, name: 'a.png', type: 'image/png' }, text: 'a'.repeat(1001) });
    expect(longCaption.status).toBe(400);
    expectError(longCaption.body, 'caption_too_long');

    const twoFiles = await upload(session, { file: { data: png, name: 'a.png', type: 'image/png' }, extra: (form) => form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'b.png') });
    expect(twoFiles.status).toBe(400);
    expectError(twoFiles.body, 'invalid_upload');

    const json = await fetch(`${base}/webchat/api/attachments`, { method: 'POST', headers: { 'X-Siratu-Session': session, 'Content-Type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    expectError(await json.json(), 'not_multipart');

    // Nothing of it reached the chat.
    expect(await history(session)).toEqual([]);
  });

  it('shares the message rate limit', async () => {
    const session = await newSession();
    for (let i = 0; i < 30; i++) await post(session, { text: `halo ${i}`, clientMessageId: randomUUID() });
    const limited = await upload(session, { file: { data: png, name: 'a.png', type: 'image/png' } });
    expect(limited.status).toBe(429);
    expectError(limited.body, 'rate_limited');
  });
});

describe('CORS', () => {
  it('allows any origin with "*" and answers preflights', async () => {
    const session = await newSession();
    const res = await fetch(`${base}/webchat/api/messages`, { headers: { Origin: 'https://kota-contoh.go.id', 'X-Siratu-Session': session } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');

    const preflight = await fetch(`${base}/webchat/api/messages`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://kota-contoh.go.id', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-siratu-session' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Siratu-Session/i);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('with a list, allows only the listed origins (and the server itself)', async () => {
    const restricted = await startApp({ WEBCHAT_ALLOWED_ORIGINS: 'https://dukcapil.palukota.go.id, https://palukota.go.id' });
    try {
      const call = (origin: string) => fetch(`${restricted.base}/webchat/api/session`, { method: 'POST', headers: { Origin: origin } });
      const allowed = await call('https://palukota.go.id');
      expect(allowed.status).toBe(201);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://palukota.go.id');
      expect(allowed.headers.get('vary')).toMatch(/Origin/);
      const same = await call(restricted.base);
      expect(same.status).toBe(201);
      const denied = await call('https://evil.example');
      expect(denied.status).toBe(403);
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      expectError(await denied.json(), 'origin_not_allowed');
    } finally {
      await restricted.close();
    }
  });
});

describe('widget and demo page', () => {
  it('widget JS + CSS is at most 30 KB gzipped', () => {
    const size = gzipSync(readFileSync(`${publicDir}/widget.js`), { level: 9 }).length;
    expect(size).toBeLessThanOrEqual(30 * 1024);
  });

  it('serves /webchat/widget.js gzipped, cacheable and revalidatable', async () => {
    const res = await fetch(`${base}/webchat/widget.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const body = await res.text();
    expect(body).toContain('attachShadow');
    const etag = res.headers.get('etag')!;
    const again = await fetch(`${base}/webchat/widget.js`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
  });

  it('the demo page at / embeds the widget with one script tag, open by default', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<script src="/webchat/widget.js" data-title="Tanya SIRATU" data-open="true" async></script>');
    expect(html).toMatch(/SIRATU/);
  });

  it('the office info for the widget header', async () => {
    const res = await fetch(`${base}/webchat/api/info`);
    expect(await res.json()).toMatchObject({ botName: 'SIRATU', office: { shortName: expect.any(String) } });
  });
});
