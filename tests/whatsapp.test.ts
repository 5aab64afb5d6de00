/**
 * The WhatsApp channel at the socket boundary: real Baileys message objects
 * emitted on Baileys' own event buffer, the real channel, dispatcher, engine,
 * outbox and embedded store; only the socket's network side is a fake that
 * captures sendMessage / readMessages / sendPresenceUpdate.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { BufferJSON, initAuthCreds, proto } from '@whiskeysockets/baileys';
import { createLogger } from '../bot/log.js';
import { PermanentJobError } from '../bot/queue/types.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Store } from '../bot/store/types.js';
import { texts } from '../bot/texts.js';
import { CREDS_NAMESPACE, KEYS_NAMESPACE, clearAuthState, hasStoredSession, useStoreAuthState } from '../channels/whatsapp/auth-state.js';
import { AuthCipher, parseAuthKey } from '../channels/whatsapp/crypto.js';
import { decodeMessage } from '../channels/whatsapp/decode.js';
import { PHONE_AGENT_ID, sortableIdFor } from '../channels/whatsapp/inbound.js';
import { KnownChats } from '../channels/whatsapp/known-chats.js';
import { NotConnectedError, WhatsAppSender } from '../channels/whatsapp/sender.js';
import { maskJid } from '../channels/whatsapp/status.js';
import { ConfigError, loadConfig } from '../scripts/config.js';
import { makeTempDir } from './helpers/tmp.js';
import { createWhatsAppDesk, jpegBytes, oggBytes, pdfBytes, phoneMessageId, wa, type WhatsAppDesk } from './helpers/whatsapp.js';

const silent = createLogger({ level: 'silent' });
let jidCounter = 0;
/** A fresh citizen per test: conversations never leak between tests. */
const citizen = () => `62812${String(5_000_000 + jidCounter++).padStart(7, '0')}@s.whatsapp.net`;

describe('WhatsApp channel at the socket boundary', () => {
  let desk: WhatsAppDesk;

  beforeAll(async () => {
    desk = await createWhatsAppDesk();
  });
  afterAll(async () => {
    await desk.close();
  });

  const conversationOf = async (jid: string) => {
    const contact = await desk.store.contacts.upsert('whatsapp', jid);
    return desk.store.conversations.open(contact);
  };

  it('a question gets the same checklist as on web chat, as WhatsApp text, read and typed', async () => {
    const ani = citizen();
    const question = wa.text(ani, 'syarat akta kelahiran', { pushName: 'Ani' });
    await desk.receive(question);

    const sent = desk.sent(ani);
    expect(sent).toHaveLength(1);
    const web = await desk.dispatcher.receive({ channel: 'web', senderId: 'web-twin-1', text: 'syarat akta kelahiran' });
    expect(web.replies[0]!.entry).toBe('akta-kelahiran');
    expect(sent[0]!.text).toBe(desk.channel.sender.encode(web.replies[0]!)[0]!.text);
    for (const requirement of ['Surat keterangan lahir', 'Buku nikah', 'Kartu Keluarga (KK)']) expect(sent[0]!.text).toContain(requirement);
    expect(sent[0]!.text).toContain('*Syarat yang perlu dibawa:*'); // WhatsApp's own bold

    // Our own id, deterministic per outbox part, in Baileys' format.
    const [reply] = await desk.store.messages.list((await conversationOf(ani)).id).then((all) => all.filter((m) => m.direction === 'out'));
    expect(sent[0]!.messageId).toMatch(/^3EB0[0-9A-F]{18}$/u);
    expect(sent[0]!.messageId).toBe(desk.channel.sender.messageIdFor(`${reply!.id}:0`));
    expect(reply!.delivery).toMatchObject({ status: 'sent', platformMessageIds: [sent[0]!.messageId] });

    // Read receipt for the citizen's message; "typing…" before the reply.
    expect(desk.socket().reads.map((key) => key.id)).toContain(question.key.id);
    const typing = desk.socket().presences.filter((p) => p.jid === ani && p.type === 'composing');
    expect(typing.length).toBeGreaterThan(0);
    expect(typing[0]!.at).toBeLessThanOrEqual(sent[0]!.at);

    // The echo of our own reply (Baileys emits it as fromMe) is not mistaken for staff on the phone.
    const conversation = await conversationOf(ani);
    expect(conversation.state).toBe('bot');
    expect((await desk.store.messages.list(conversation.id)).filter((m) => m.author === 'agent')).toHaveLength(0);
    // The citizen's name and number are on the contact.
    const contact = await desk.store.contacts.upsert('whatsapp', ani);
    expect(contact.name).toBe('Ani');
    expect(contact.phone).toBe(`0${ani.slice(2, ani.indexOf('@'))}`);
  });

  it('menus are numbered text and a number picks the option', async () => {
    const budi = citizen();
    await desk.receive(wa.text(budi, 'menu'));
    const [menu] = desk.sent(budi);
    expect(menu!.text).toMatch(/\n1\. .+\n2\. /u);
    expect(menu!.text).toContain('_Balas dengan angkanya._');
    await desk.receive(wa.extendedText(budi, '1'));
    expect(desk.sent(budi)).toHaveLength(2);
    expect(desk.sent(budi)[1]!.text).not.toBe(menu!.text);
  });

  it('photos and documents are stored and join the complaint being filed', async () => {
    const citra = citizen();
    await desk.receive(wa.text(citra, 'ada calo di depan kantor minta 200rb'));
    expect(desk.sent(citra).at(-1)!.text).toMatch(/kecamatan/iu);

    // A photo whose caption answers the question ("1" = the first kecamatan).
    const photo = wa.image(citra, '1');
    desk.media.set(photo.key.id!, jpegBytes(3000));
    await desk.receive(photo);
    expect(desk.sent(citra).at(-1)!.text).toMatch(/Siapa nama Anda/u);

    // A PDF wrapped as "document with caption" ("1" = skip the name).
    const pdf = wa.documentWithCaption(citra, { fileName: 'kronologi.pdf', mimetype: 'application/pdf' }, '1');
    desk.media.set(pdf.key.id!, pdfBytes());
    await desk.receive(pdf);
    await desk.receive(wa.text(citra, 'lewati')); // no phone number
    const confirm = desk.sent(citra).at(-1)!.text;
    expect(confirm).toContain('Lampiran: 2 berkas');
    await desk.receive(wa.text(citra, '1')); // "Ya, kirim"
    const number = /ADU-\d{4}-\d{6}/u.exec(desk.sent(citra).at(-1)!.text)![0];
    const ticket = (await desk.store.tickets.byNumber(number))!;
    expect(ticket.channel).toBe('whatsapp');
    expect(ticket.attachments.map((a) => [a.kind, a.mimeType])).toEqual([
      ['image', 'image/jpeg'],
      ['document', 'application/pdf'],
    ]);
    expect((await desk.store.files.get(ticket.attachments[0]!.key))!.data.equals(jpegBytes(3000))).toBe(true);
    expect(ticket.attachments[1]!.fileName).toBe('kronologi.pdf');

    // A later photo without a caption joins the filed ticket.
    const later = wa.image(citra);
    desk.media.set(later.key.id!, jpegBytes(1500));
    await desk.receive(later);
    expect(desk.sent(citra).at(-1)!.text).toContain(`Lampiran sudah ditambahkan ke pengaduan *${number}*`);
    expect((await desk.store.tickets.byNumber(number))!.attachments).toHaveLength(3);
  });

  it('files we cannot take get a clear answer instead of a silent drop', async () => {
    const dedi = citizen();
    await desk.receive(wa.document(dedi, { fileName: 'surat.docx', mimetype: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }));
    expect(desk.sent(dedi).at(-1)!.text.startsWith(texts.unreadable.fileType)).toBe(true);
    await desk.receive(wa.image(dedi, '', { fileLength: 9 * 1024 * 1024 }));
    expect(desk.sent(dedi).at(-1)!.text.startsWith(texts.unreadable.fileTooLarge)).toBe(true);
    // Bytes that are not what the message says (a "JPEG" that is text) are refused after download.
    const fake = wa.image(dedi);
    desk.media.set(fake.key.id!, Buffer.from('not an image at all'));
    await desk.receive(fake);
    expect(desk.sent(dedi).at(-1)!.text.startsWith(texts.unreadable.fileType)).toBe(true);
    // Media the CDN no longer has.
    await desk.receive(wa.image(dedi));
    expect(desk.sent(dedi).at(-1)!.text.startsWith(texts.unreadable.downloadFailed)).toBe(true);
    const stored = await desk.store.messages.list((await conversationOf(dedi)).id);
    expect(stored.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual([
      '[dokumen surat.docx: jenis tidak diterima]',
      '[foto: terlalu besar]',
      '[foto: jenis tidak diterima]',
      '[foto: gagal diunduh]',
    ]);
  });

  it('groups, status broadcasts, channels, broadcast lists and reactions are ignored', async () => {
    const before = desk.sent().length;
    const readsBefore = desk.socket().reads.length;
    const member = citizen();
    await desk.receive([
      wa.text('120363025246125486@g.us', 'syarat KTP', { participant: member }),
      wa.text('status@broadcast', 'status baru', { participant: member }),
      wa.text('120363144038483540@newsletter', 'Info pelayanan keliling'),
      wa.text('1234567890@broadcast', 'pesan siaran'),
      wa.reaction(member, 'ABC'),
    ]);
    expect(desk.sent().length).toBe(before);
    expect(desk.socket().reads.length).toBe(readsBefore); // left unread on the office phone
    const contacts = await desk.store.conversations.list({ channel: 'whatsapp' });
    expect(contacts.map((c) => c.externalId)).not.toContain(member);
    expect(contacts.some((c) => /@(g\.us|broadcast|newsletter)$/u.test(c.externalId))).toBe(false);
  });

  it('a voice note gets a polite request to type, and is kept for the agents to hear', async () => {
    const eka = citizen();
    const voice = wa.voice(eka);
    desk.media.set(voice.key.id!, oggBytes());
    await desk.receive(voice);
    // The first reply of a conversation also carries the privacy notice.
    expect(desk.sent(eka).map((m) => m.text.split('\n\n')[0])).toEqual([texts.unreadable.voice]);
    expect(texts.unreadable.voice).toMatch(/^Maaf, pesan suara belum bisa kami proses\. Silakan ketik pertanyaan Anda/u);
    const [inbound] = await desk.store.messages.list((await conversationOf(eka)).id);
    expect(inbound).toMatchObject({ direction: 'in', text: '[pesan suara 4 detik]', platformMessageId: voice.key.id });
    expect(inbound!.attachments).toEqual([expect.objectContaining({ kind: 'audio', mimeType: 'audio/ogg' })]);
    expect(inbound!.handledAt).toBeInstanceOf(Date); // not re-run by recover()

    await desk.receive([wa.location(eka), wa.sticker(eka)]);
    expect(desk.sent(eka).map((m) => m.text).slice(1)).toEqual([texts.unreadable.location, texts.unreadable.sticker]);
    // ...and the chat goes on normally.
    await desk.receive(wa.ephemeralText(eka, 'syarat KK hilang'));
    expect(desk.sent(eka).at(-1)!.text).toMatch(/Kartu Keluarga|KK/u);
  });

  it('the same message delivered twice (or again after a reconnect) gets one reply', async () => {
    const fani = citizen();
    const question = wa.text(fani, 'syarat KTP hilang');
    await desk.receive(question);
    await desk.receive(question);
    await desk.receive(question, 'append');
    const copy = wa.text(fani, 'syarat KTP hilang', { id: question.key.id! });
    await desk.receive(copy);
    expect(desk.sent(fani)).toHaveLength(1);
    const stored = await desk.store.messages.list((await conversationOf(fani)).id);
    expect(stored.filter((m) => m.direction === 'in')).toHaveLength(1);
  });

  it('messages that arrived while disconnected are handled once, in order, when the buffer flushes', async () => {
    const gita = citizen();
    const socket = desk.socket();
    // Baileys buffers the offline backlog after a reconnect and flushes it in one go.
    socket.ev.buffer();
    const first = wa.text(gita, 'halo');
    const second = wa.text(gita, 'syarat akta kematian');
    socket.ev.emit('messages.upsert', { messages: [first], type: 'notify' });
    socket.ev.emit('messages.upsert', { messages: [second, first], type: 'notify' });
    expect(desk.sent(gita)).toHaveLength(0);
    socket.ev.flush();
    await desk.flush();
    const inbound = (await desk.store.messages.list((await conversationOf(gita)).id)).filter((m) => m.direction === 'in');
    expect(inbound.map((m) => m.platformMessageId)).toEqual([first.key.id, second.key.id]);
    expect(desk.sent(gita).length).toBeGreaterThanOrEqual(2);
    expect(desk.sent(gita).at(-1)!.text).toMatch(/akta kematian/iu);
  });

  it('staff replying from the linked phone take the chat over: the bot pauses there', async () => {
    const hadi = citizen();
    await desk.receive(wa.text(hadi, 'syarat pindah domisili'));
    const botReplies = desk.sent(hadi).length;
    expect(botReplies).toBeGreaterThan(0);

    const staff = wa.text(hadi, 'Selamat siang Pak, saya petugas. Berkasnya bisa dibawa besok ya.', { fromMe: true });
    await desk.receive(staff, 'append');
    let conversation = await conversationOf(hadi);
    expect(conversation).toMatchObject({ state: 'agent', assigneeId: PHONE_AGENT_ID });
    expect(conversation.assignedAt).toBeInstanceOf(Date);
    const agentMessage = (await desk.store.messages.list(conversation.id)).find((m) => m.author === 'agent')!;
    expect(agentMessage).toMatchObject({ direction: 'out', authorId: PHONE_AGENT_ID, text: staff.message!.conversation });
    expect(agentMessage.delivery).toMatchObject({ status: 'sent', platformMessageIds: [staff.key.id] });
    expect(agentMessage.id).toBe(sortableIdFor(new Date(Number(staff.messageTimestamp) * 1000), `whatsapp:${staff.key.id}`));

    // The citizen answers: stored for the agent, the bot stays silent; the phone's message redelivered changes nothing.
    await desk.receive(wa.text(hadi, 'baik pak, terima kasih. syarat KTP apa saja?'));
    await desk.receive(staff, 'append');
    expect(desk.sent(hadi)).toHaveLength(botReplies);
    conversation = await conversationOf(hadi);
    const messages = await desk.store.messages.list(conversation.id);
    expect(messages.filter((m) => m.author === 'agent')).toHaveLength(1);
    expect(messages.at(-1)).toMatchObject({ author: 'citizen', text: 'baik pak, terima kasih. syarat KTP apa saja?' });
  });

  it("the office phone's chats with people who never wrote to us are not recorded", async () => {
    const colleague = citizen();
    await desk.receive(wa.text(colleague, 'Bu, rapat jam 2 ya', { fromMe: true }), 'append');
    expect((await desk.store.conversations.list({ channel: 'whatsapp' })).map((c) => c.externalId)).not.toContain(colleague);
  });

  it('a message that arrives hours late is not answered blindly: agents get it, the citizen an apology', async () => {
    const indah = citizen();
    const sevenHoursAgo = Math.floor(Date.now() / 1000) - 7 * 3600;
    await desk.receive([wa.text(indah, 'syarat KTP', { timestamp: sevenHoursAgo }), wa.text(indah, '1', { timestamp: sevenHoursAgo + 60 })]);
    const sent = desk.sent(indah);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toMatch(/^Mohon maaf, pesan Anda \(dikirim .+\) baru sampai ke kami sekarang/u);
    expect(sent[0]!.text).toContain('*batal*');
    expect(sent[0]!.text).not.toContain('Syarat yang perlu dibawa');
    const conversation = await conversationOf(indah);
    expect(conversation.state).toBe('waiting');
    expect(conversation.handoffRequestedAt).toBeInstanceOf(Date);
    const inbound = (await desk.store.messages.list(conversation.id)).filter((m) => m.direction === 'in');
    expect(inbound.map((m) => m.text)).toEqual(['syarat KTP', '1']);
    expect(inbound[0]!.createdAt.getTime()).toBe(sevenHoursAgo * 1000);
    expect(inbound.every((m) => m.handledAt)).toBe(true);
    // No "typing…" while nobody is going to answer: only the sender's, right before the apology.
    expect(desk.socket().presences.filter((p) => p.jid === indah && p.type === 'composing')).toHaveLength(1);

    // "batal" brings the bot back, and the question is answered when asked again.
    await desk.receive(wa.text(indah, 'batal'));
    expect((await conversationOf(indah)).state).toBe('bot');
    await desk.receive(wa.text(indah, 'syarat KTP baru'));
    expect(desk.sent(indah).at(-1)!.text).toContain('Syarat yang perlu dibawa');
  });

  it('a logout from the admin page clears the stored session', async () => {
    // The desk then links a fresh (unlinked) session, as the admin page expects ("scan the new QR").
    await desk.store.keyValue.set(KEYS_NAMESPACE, { 'session:probe.0': 'x' });
    await desk.channel.control.logout();
    expect(await desk.store.keyValue.keys(KEYS_NAMESPACE)).toEqual([]);
    expect((await desk.channel.control.status())!.state).toMatch(/logged_out|connecting|open/u);
    await desk.channel.connection.waitFor(['open'], 5000);
  });

  it('sends a one-time code to the number a citizen gave at filing (the only chat the office starts)', async () => {
    expect(await desk.channel.oneTimeCodes.available()).toBe(true);
    await desk.channel.oneTimeCodes.send('081299998888', 'Kode verifikasi SIRATU: *123456*');
    await desk.flush();
    expect(desk.sent('6281299998888@s.whatsapp.net').map((m) => m.text)).toEqual(['Kode verifikasi SIRATU: *123456*']);
  });
});

describe('WhatsApp sender', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  beforeEach(() => {
    temp = makeTempDir('siratu-wa-sender-');
    store = openSqliteStore({ file: `${temp.dir}/s.db` });
  });
  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  it('only sends to citizens who wrote first, and says "retry later" while disconnected', async () => {
    const cipher = new AuthCipher(randomBytes(32));
    const chats = new KnownChats(store.keyValue);
    const sent: string[] = [];
    let open = true;
    const socket = {
      sendMessage: async (jid: string, _content: unknown, options?: { messageId?: string }) => {
        sent.push(jid);
        return proto.WebMessageInfo.fromObject({ key: { remoteJid: jid, id: options?.messageId, fromMe: true } }) as never;
      },
    };
    const sender = new WhatsAppSender({ socket: () => (open ? socket : undefined), cipher, chats, log: silent, jitterMs: [0, 0] });
    const stranger = '6281299999999@s.whatsapp.net';
    await expect(sender.send(stranger, { text: 'halo' }, 'm1:0')).rejects.toBeInstanceOf(PermanentJobError);
    await expect(sender.send('120363025246125486@g.us', { text: 'halo' }, 'm1:0')).rejects.toBeInstanceOf(PermanentJobError);
    expect(sent).toEqual([]);

    await chats.remember(stranger);
    const first = await sender.send(stranger, { text: 'halo' }, 'm1:0');
    const again = await sender.send(stranger, { text: 'halo' }, 'm1:0');
    expect(first.platformMessageId).toBe(again.platformMessageId); // a retry re-uses the id
    expect(cipher.isOurMessageId(first.platformMessageId)).toBe(true);
    expect(cipher.isOurMessageId(phoneMessageId())).toBe(false);
    expect(new AuthCipher(randomBytes(32)).isOurMessageId(first.platformMessageId)).toBe(false);

    open = false;
    await expect(sender.send(stranger, { text: 'halo' }, 'm2:0')).rejects.toBeInstanceOf(NotConnectedError);
    expect(sender.capabilities).toEqual({ buttons: false, maxTextLength: 4000, markup: 'whatsapp' });
    expect(sender.ratePerSecond).toBe(1);
  });

  it('paces sends: one at a time with a random pause before each', async () => {
    const chats = new KnownChats(store.keyValue);
    const jid = '6281211111111@s.whatsapp.net';
    await chats.remember(jid);
    const times: number[] = [];
    const socket = {
      sendMessage: async () => {
        times.push(Date.now());
        return undefined;
      },
    };
    const sender = new WhatsAppSender({ socket: () => socket, cipher: new AuthCipher(randomBytes(32)), chats, log: silent, jitterMs: [60, 120] });
    const started = Date.now();
    await Promise.all([1, 2, 3].map((n) => sender.send(jid, { text: `pesan ${n}` }, `m${n}:0`)));
    expect(times[0]! - started).toBeGreaterThanOrEqual(55);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(55);
  });
});

describe('decoding', () => {
  it('prefers the phone-number JID when WhatsApp addresses a chat by LID', () => {
    const decoded = decodeMessage(wa.text('123456789012345@lid', 'halo', { remoteJidAlt: '6281234567890@s.whatsapp.net' }));
    expect(decoded).toMatchObject({ kind: 'text', chatJid: '6281234567890@s.whatsapp.net', remoteJid: '123456789012345@lid' });
    expect(decodeMessage(wa.text('123456789012345@lid', 'halo'))).toMatchObject({ chatJid: '123456789012345@lid' });
  });

  it('a message that could not be decrypted yet is not stored (Baileys emits it again with content)', () => {
    const stub = proto.WebMessageInfo.fromObject({ key: { remoteJid: '6281234567890@s.whatsapp.net', id: 'X1' }, messageStubType: 2 });
    expect(decodeMessage(stub as never)).toMatchObject({ kind: 'ignore' });
  });

  it('masks the linked number for the status', () => {
    expect(maskJid('6281234567890:12@s.whatsapp.net')).toBe('6281****890');
  });
});

describe('auth state in the store', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  beforeEach(() => {
    temp = makeTempDir('siratu-wa-auth-');
    store = openSqliteStore({ file: `${temp.dir}/s.db` });
  });
  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  it('round-trips creds and Signal keys, encrypted at rest, writing only what changed', async () => {
    const key = randomBytes(32);
    const writes: Record<string, string | null>[] = [];
    const keyValue = {
      ...store.keyValue,
      get: store.keyValue.get.bind(store.keyValue),
      keys: store.keyValue.keys.bind(store.keyValue),
      clear: store.keyValue.clear.bind(store.keyValue),
      set: async (namespace: string, entries: Record<string, string | null>) => {
        writes.push(entries);
        await store.keyValue.set(namespace, entries);
      },
    };
    const first = await useStoreAuthState(keyValue, new AuthCipher(key), silent);
    first.state.creds.me = { id: '6281100000001:7@s.whatsapp.net', name: 'Dukcapil Palu' };
    await first.saveCreds();
    await first.saveCreds(); // unchanged: not written again
    expect(writes).toHaveLength(1);

    const preKey = { public: randomBytes(32), private: randomBytes(32) };
    const session = randomBytes(64);
    const appKey = proto.Message.AppStateSyncKeyData.fromObject({ keyData: randomBytes(32), fingerprint: { rawId: 7, currentIndex: 1 }, timestamp: 1700000000 });
    await first.state.keys.set({ 'pre-key': { '1': preKey }, session: { '6281234567890.0': session }, 'app-state-sync-key': { AAAAAA: appKey } });
    await first.state.keys.set({ 'pre-key': { '1': preKey } }); // same value again: no write
    expect(writes).toHaveLength(2);

    // Nothing readable at rest: no key material, no JSON structure, no phone number.
    const rawCreds = await store.keyValue.get(CREDS_NAMESPACE, ['creds']);
    const rawKeys = await store.keyValue.get(KEYS_NAMESPACE, await store.keyValue.keys(KEYS_NAMESPACE));
    const everything = JSON.stringify([rawCreds, rawKeys]);
    for (const secret of [
      Buffer.from(first.state.creds.noiseKey.private).toString('base64'),
      preKey.private.toString('base64'),
      session.toString('base64'),
      'noiseKey',
      '6281100000001',
      JSON.stringify(first.state.creds, BufferJSON.replacer).slice(0, 40),
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(Object.values(rawKeys).every((value) => value.startsWith('v1:'))).toBe(true);
    expect(Object.keys(rawKeys).sort()).toEqual(['app-state-sync-key:AAAAAA', 'pre-key:1', 'session:6281234567890.0']);

    // A new process restores the same device.
    const second = await useStoreAuthState(store.keyValue, new AuthCipher(key), silent);
    expect(Buffer.from(second.state.creds.noiseKey.private).equals(Buffer.from(first.state.creds.noiseKey.private))).toBe(true);
    expect(second.state.creds.registrationId).toBe(first.state.creds.registrationId);
    expect(second.state.creds.me?.id).toBe('6281100000001:7@s.whatsapp.net');
    const restored = await second.state.keys.get('pre-key', ['1', '2']);
    expect(Buffer.from(restored['1']!.private).equals(preKey.private)).toBe(true);
    expect(restored['2']).toBeUndefined();
    expect(Buffer.from((await second.state.keys.get('session', ['6281234567890.0']))['6281234567890.0']!).equals(session)).toBe(true);
    const app = (await second.state.keys.get('app-state-sync-key', ['AAAAAA']))['AAAAAA']!;
    expect(app).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(app.keyData!).equals(Buffer.from(appKey.keyData!))).toBe(true);
    expect(await hasStoredSession(store.keyValue, new AuthCipher(key))).toBe(true);

    // Deleting a key deletes it; another WHATSAPP_AUTH_KEY reads nothing (a fresh device, not garbage).
    await second.state.keys.set({ 'pre-key': { '1': null } });
    expect(await store.keyValue.keys(KEYS_NAMESPACE)).not.toContain('pre-key:1');
    const wrongKey = await useStoreAuthState(store.keyValue, new AuthCipher(randomBytes(32)), silent);
    expect(wrongKey.state.creds.me).toBeUndefined();
    expect(await hasStoredSession(store.keyValue, new AuthCipher(randomBytes(32)))).toBe(false);

    // A value moved to another key does not decrypt there (the slot is authenticated).
    await store.keyValue.set(KEYS_NAMESPACE, { 'session:someone-else.0': rawKeys['session:6281234567890.0']! });
    const third = await useStoreAuthState(store.keyValue, new AuthCipher(key), silent);
    expect(await third.state.keys.get('session', ['someone-else.0'])).toEqual({});

    await clearAuthState(store.keyValue);
    expect(await store.keyValue.keys(KEYS_NAMESPACE)).toEqual([]);
    expect(await store.keyValue.keys(CREDS_NAMESPACE)).toEqual([]);
    expect((await useStoreAuthState(store.keyValue, new AuthCipher(key), silent)).state.creds.noiseKey.private).not.toEqual(first.state.creds.noiseKey.private);
    expect(initAuthCreds().registered).toBe(false);
  });
});

describe('configuration', () => {
  const noDotenv = { dotenvPath: '/nonexistent/.env' };
  it('is off by default; enabling it requires a valid 32-byte key, never echoed back', () => {
    expect(loadConfig({}, noDotenv)).toMatchObject({ WHATSAPP_ENABLED: false, WHATSAPP_OLD_MESSAGE_HOURS: 6 });
    expect(() => loadConfig({ WHATSAPP_ENABLED: 'true' }, noDotenv)).toThrow(/WHATSAPP_AUTH_KEY="": wajib diisi jika WHATSAPP_ENABLED=true/u);
    let error: unknown;
    try {
      loadConfig({ WHATSAPP_ENABLED: 'true', WHATSAPP_AUTH_KEY: 'rahasia-yang-terlalu-pendek' }, noDotenv);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/WHATSAPP_AUTH_KEY=\(disembunyikan\): harus kunci acak 32 byte/u);
    expect((error as Error).message).not.toContain('rahasia-yang-terlalu-pendek');
    const base64 = randomBytes(32).toString('base64');
    const hex = randomBytes(32).toString('hex');
    expect(loadConfig({ WHATSAPP_ENABLED: 'true', WHATSAPP_AUTH_KEY: base64, WHATSAPP_OLD_MESSAGE_HOURS: '2.5' }, noDotenv)).toMatchObject({ WHATSAPP_ENABLED: true, WHATSAPP_OLD_MESSAGE_HOURS: 2.5 });
    expect(parseAuthKey(hex)).toMatchObject({ ok: true });
    expect(parseAuthKey(base64.replace(/=$/u, ''))).toMatchObject({ ok: true });
    expect(parseAuthKey(randomBytes(16).toString('base64'))).toMatchObject({ ok: false });
  });
});
