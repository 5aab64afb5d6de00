/**
 * The Telegram adapter at unit level: a real grammY Bot (botInfo set, so it
 * never calls getMe), real update objects fed to `bot.handleUpdate`, and the
 * Bot API calls captured by a grammY API transformer. Behind the bot: the
 * real dispatcher, engine and embedded store; replies go out the way the
 * outbox sends them (sender.encode → sender.send).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import express from 'express';
import { GrammyError, HttpError } from 'grammy';
import { PermanentJobError } from '../bot/queue/types.js';
import type { Message as StoredMessage } from '../bot/store/types.js';
import { texts } from '../bot/texts.js';
import { convertMarkup } from '../channels/encode.js';
import { decodeMessage } from '../channels/telegram/decode.js';
import { TicketService } from '../bot/tickets.js';
import { createTelegramSender, mapTelegramError, TelegramRateLimitError } from '../channels/telegram/sender.js';
import { loadConfig } from '../scripts/config.js';
import { createTestHelpdesk } from './helpers/helpdesk.js';
import { BOT_INFO, buttons, createTelegramDesk, jpegBytes, pdfBytes, tg, TOKEN, type Citizen, type TelegramDesk } from './helpers/telegram.js';

const ani: Citizen = { chatId: 52_001, firstName: 'Ani', lastName: 'Lestari' };
const budi: Citizen = { chatId: 52_002, firstName: 'Budi' };

let desk: TelegramDesk;

beforeEach(async () => {
  desk = await createTelegramDesk({
    files: { 'photos/file_AgAC-large.jpg': jpegBytes(4096), 'documents/file_BQAC-pdf.pdf': pdfBytes(), 'documents/file_BQAC-docx.docx': Buffer.from('PK\u0003\u0004 word document') },
  });
});

afterEach(async () => {
  await desk.close();
});

/** The engine's reply on web chat to the same message, as Telegram HTML. */
async function webReplies(...messages: string[]): Promise<StoredMessage[]> {
  const web = await createTestHelpdesk();
  try {
    let replies: StoredMessage[] = [];
    for (const text of messages) replies = await web.say('web-citizen', text);
    return replies;
  } finally {
    await web.close();
  }
}

const lastSent = (chatId: number) => desk.sent(chatId).at(-1)!;

describe('answers', () => {
  it('a question gets the same checklist as on web chat, as HTML without a keyboard', async () => {
    await desk.handle(tg.text(ani, 'syarat akta kelahiran'));
    const sent = desk.sent(ani.chatId);
    expect(sent).toHaveLength(1);
    const [web] = await webReplies('syarat akta kelahiran');
    expect(web!.entry).toBe('akta-kelahiran');
    expect(sent[0]!.payload.text).toBe(convertMarkup(web!.text, 'telegram-html'));
    expect(sent[0]!.payload.parse_mode).toBe('HTML');
    expect(sent[0]!.payload.chat_id).toBe(String(ani.chatId));
    expect(sent[0]!.payload.reply_markup).toEqual({ remove_keyboard: true });
    const text = String(sent[0]!.payload.text);
    expect(text).toContain('<b>Syarat yang perlu dibawa:</b>');
    expect(text).toContain('Surat keterangan lahir dari rumah sakit');
    expect(text).not.toMatch(/\*[^*\n]+\*/u); // no WhatsApp markup left over

    // The conversation is stored on channel telegram under the chat id, with the citizen's name.
    const contact = await desk.store.contacts.upsert('telegram', String(ani.chatId));
    expect(contact.name).toBe('Ani Lestari');
    const history = await desk.store.messages.listForContact(contact.id);
    expect(history.map((message) => [message.direction, message.platformMessageId ?? null])).toEqual([
      ['in', `${ani.chatId}:${history[0]!.platformMessageId!.split(':')[1]}`],
      ['out', null],
    ]);
  });

  it('/start greets with the main menu as one button per row', async () => {
    await desk.handle(tg.command(ani, '/start'));
    const call = lastSent(ani.chatId);
    expect(String(call.payload.text)).toContain('Halo! Saya <b>SIRATU</b>');
    expect(String(call.payload.text)).toContain('Silakan pilih layanan');
    expect(buttons(call)).toEqual([
      '1. KTP-el',
      '2. Kartu Keluarga (KK)',
      '3. Akta kelahiran & KIA',
      '4. Akta kematian',
      '5. Pindah domisili',
      '6. Perkawinan, perceraian & perubahan akta',
      '7. Jam layanan, antrian & biaya',
      '8. Pengaduan & cek status',
      '9. Bicara dengan petugas',
    ]);
    expect(call.payload.reply_markup).toMatchObject({ resize_keyboard: true, one_time_keyboard: true });
  });

  it('/menu shows the menu, /batal cancels, /menu@OurBot works, a command for another bot is just text', async () => {
    await desk.handle(tg.command(ani, '/menu'));
    expect(String(lastSent(ani.chatId).payload.text)).toContain('Silakan pilih layanan');
    expect(buttons(lastSent(ani.chatId))).toHaveLength(9);

    await desk.handle(tg.command(ani, '/batal'));
    expect(String(lastSent(ani.chatId).payload.text)).toContain(texts.nothingToCancel);

    await desk.handle(tg.command(ani, `/menu@${BOT_INFO.username}`));
    expect(String(lastSent(ani.chatId).payload.text)).toContain('Silakan pilih layanan');

    const decoded = decodeMessage(tg.command(ani, '/menu@SomeOtherBot').message!, BOT_INFO.username);
    expect(decoded).toEqual({ type: 'text', text: '/menu@SomeOtherBot' });
  });

  it('/start in the middle of a complaint starts over with the menu instead of being read as an answer', async () => {
    await desk.handle(tg.text(budi, 'saya mau buat pengaduan'));
    await desk.handle(tg.text(budi, '4. Sikap petugas'));
    expect(String(lastSent(budi.chatId).payload.text)).toContain('Ceritakan singkat');
    await desk.handle(tg.command(budi, '/start'));
    expect(String(lastSent(budi.chatId).payload.text)).toContain('Silakan pilih layanan');
    expect(buttons(lastSent(budi.chatId))).toHaveLength(9);
    const contact = await desk.store.contacts.upsert('telegram', String(budi.chatId));
    expect((await desk.store.conversations.open(contact)).flow).toBeNull();
  });

  it('an unknown command is read as the words typed', () => {
    expect(decodeMessage(tg.command(ani, '/ktp_hilang').message!, BOT_INFO.username)).toEqual({ type: 'text', text: 'ktp hilang' });
    expect(decodeMessage(tg.command(ani, '/bantuan').message!, BOT_INFO.username)).toMatchObject({ type: 'command', command: 'menu' });
  });

  it('pressing a menu button (its label arrives as text) opens that submenu and then the answer', async () => {
    await desk.handle(tg.command(ani, '/start'));
    await desk.handle(tg.text(ani, '3. Akta kelahiran & KIA'));
    const submenu = lastSent(ani.chatId);
    expect(String(submenu.payload.text)).toContain('<b>Akta kelahiran &amp; KIA</b>');
    expect(buttons(submenu)[0]).toBe('1. Akta kelahiran');
    await desk.handle(tg.text(ani, '1. Akta kelahiran'));
    const answer = lastSent(ani.chatId);
    expect(String(answer.payload.text)).toContain('<b>Syarat yang perlu dibawa:</b>');
    expect(answer.payload.reply_markup).toEqual({ remove_keyboard: true });
  });

});

describe('status changes', () => {
  it('reach the citizen on Telegram through the outbox; a resolved ticket then asks for a rating', async () => {
    await desk.handle(tg.text(ani, 'ada calo di depan kantor dukcapil minta 200rb'));
    for (const answer of ['Lewati', 'Lewati', 'Lewati', 'Ya, kirim']) await desk.handle(tg.text(ani, answer));
    const number = /ADU-\d{4}-\d{6}/u.exec(String(lastSent(ani.chatId).payload.text))![0];
    const ticket = (await desk.store.tickets.byNumber(number))!;
    await new TicketService({ store: desk.store, dispatcher: desk.dispatcher }).changeStatus(ticket.id, 'selesai', { actor: 'agent-1', note: 'Calo sudah ditertibkan.' });
    await desk.flush();
    const [status, rating] = desk.sent(ani.chatId).slice(-2);
    expect(String(status!.payload.text)).toMatch(new RegExp(`${number}.*<b>Selesai</b>.*Calo sudah ditertibkan`, 'su'));
    expect(String(rating!.payload.text)).toMatch(/penilaian Anda/u);
    await desk.handle(tg.text(ani, '5 ⭐⭐⭐⭐⭐'));
    expect(await desk.store.ratings.list({})).toEqual([expect.objectContaining({ ticketId: ticket.id, score: 5 })]);
  });
});

describe('agents\' files', () => {
  it('a photo an agent attaches is sent as a Telegram photo, then the text', async () => {
    await desk.handle(tg.text(ani, 'halo'));
    const contact = await desk.store.contacts.upsert('telegram', String(ani.chatId));
    const conversation = await desk.store.conversations.open(contact);
    const bytes = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const key = await desk.store.files.put(bytes, { fileName: 'contoh-formulir.png', mimeType: 'image/png' });
    await desk.dispatcher.post(conversation.id, { author: 'agent', authorId: 'u-1', text: 'Ini contoh formulirnya.', attachments: [{ kind: 'image', key, fileName: 'contoh-formulir.png', mimeType: 'image/png', size: bytes.length }] });
    await desk.flush();
    const last = desk.calls.filter((call) => call.method === 'sendPhoto' || call.method === 'sendMessage').slice(-2);
    expect(last.map((call) => call.method)).toEqual(['sendPhoto', 'sendMessage']);
    expect(String(last[1]!.payload.text)).toBe('Ini contoh formulirnya.');
  });
});

describe('complaints with photos and documents', () => {
  it('a photo sent during the intake is stored and joins the ticket; the ticket is filed with buttons only', async () => {
    await desk.handle(tg.text(ani, 'saya mau buat pengaduan'));
    const categories = buttons(lastSent(ani.chatId));
    expect(categories[0]).toMatch(/^1\. /u);
    await desk.handle(tg.text(ani, categories.find((label) => label.includes('Sikap petugas'))!));
    expect(String(lastSent(ani.chatId).payload.text)).toContain('Ceritakan singkat');

    await desk.handle(tg.photo(ani));
    expect(String(lastSent(ani.chatId).payload.text)).toBe(convertMarkup(texts.complaint.attachmentSaved(1), 'telegram-html'));
    // The largest size was fetched, from the API root's file URL.
    expect(desk.calls.filter((call) => call.method === 'getFile').map((call) => call.payload.file_id)).toEqual(['AgAC-large']);
    expect(desk.fileRequests).toEqual([`http://bot-api.invalid/file/bot${TOKEN}/photos/file_AgAC-large.jpg`]);

    await desk.handle(tg.text(ani, 'Petugas loket membentak saya waktu mengurus KK kemarin siang'));
    expect(buttons(lastSent(ani.chatId))).toContain('Lewati'); // location
    await desk.handle(tg.text(ani, 'Lewati'));
    await desk.handle(tg.text(ani, 'Lewati')); // name
    await desk.handle(tg.text(ani, 'Lewati')); // phone
    const confirm = lastSent(ani.chatId);
    expect(String(confirm.payload.text)).toContain('Lampiran: 1 berkas');
    expect(buttons(confirm)).toEqual(['Ya, kirim', 'Batal']);
    await desk.handle(tg.text(ani, 'Ya, kirim'));
    const filed = String(lastSent(ani.chatId).payload.text);
    const number = /ADU-\d{4}-\d{6}/u.exec(filed)?.[0];
    expect(number).toBeDefined();

    const ticket = (await desk.store.tickets.byNumber(number!))!;
    expect(ticket.channel).toBe('telegram');
    expect(ticket.attachments).toHaveLength(1);
    const file = (await desk.store.files.get(ticket.attachments[0]!.key))!;
    expect(file.mimeType).toBe('image/jpeg');
    expect(file.data.equals(jpegBytes(4096))).toBe(true);
    expect(ticket.attachments[0]).toMatchObject({ kind: 'image', fileName: 'foto.jpg', mimeType: 'image/jpeg', size: 4096 });
  });

  it('a PDF with a caption after filing joins the ticket; the caption is the message text', async () => {
    for (const text of ['ada calo di depan kantor minta 200rb biar cepat', 'lewati', 'lewati', 'lewati', 'ya']) await desk.handle(tg.text(budi, text));
    const number = /ADU-\d{4}-\d{6}/u.exec(String(lastSent(budi.chatId).payload.text))![0];
    await desk.handle(tg.document(budi, { fileId: 'BQAC-pdf', fileName: 'bukti transfer.pdf', mimeType: 'application/pdf', size: pdfBytes().length }));
    expect(String(lastSent(budi.chatId).payload.text)).toContain(`Lampiran sudah ditambahkan ke pengaduan <b>${number}</b>`);
    const ticket = (await desk.store.tickets.byNumber(number))!;
    expect(ticket.attachments.map((a) => [a.kind, a.fileName, a.mimeType])).toEqual([['document', 'bukti transfer.pdf', 'application/pdf']]);
  });

  it('files we do not take are refused politely and nothing is stored', async () => {
    await desk.handle(tg.document(budi, { fileId: 'BQAC-docx', fileName: 'laporan.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', size: 30 }));
    expect(String(lastSent(budi.chatId).payload.text).startsWith(convertMarkup(texts.unreadable.fileType, 'telegram-html'))).toBe(true);
    await desk.handle(tg.document(budi, { fileId: 'BQAC-big', fileName: 'scan.pdf', mimeType: 'application/pdf', size: 12 * 1024 * 1024 }));
    expect(String(lastSent(budi.chatId).payload.text).startsWith(convertMarkup(texts.unreadable.fileTooLarge, 'telegram-html'))).toBe(true);
    // The 12 MB file was never downloaded.
    expect(desk.calls.filter((call) => call.method === 'getFile').map((call) => call.payload.file_id)).toEqual(['BQAC-docx']);
  });

  it('voice notes, locations and stickers get a polite "please type it", stored for the agents', async () => {
    await desk.handle(tg.voice(ani));
    expect(String(lastSent(ani.chatId).payload.text).startsWith(convertMarkup(texts.unreadable.voice, 'telegram-html'))).toBe(true);
    await desk.handle(tg.location(ani));
    expect(String(lastSent(ani.chatId).payload.text).startsWith(convertMarkup(texts.unreadable.location, 'telegram-html'))).toBe(true);
    await desk.handle(tg.sticker(ani));
    expect(String(lastSent(ani.chatId).payload.text).startsWith(convertMarkup(texts.unreadable.sticker, 'telegram-html'))).toBe(true);
    const contact = await desk.store.contacts.upsert('telegram', String(ani.chatId));
    const inbound = (await desk.store.messages.listForContact(contact.id)).filter((message) => message.direction === 'in');
    expect(inbound.map((message) => message.text)).toEqual(['[pesan suara]', '[lokasi: -0.89170, 119.87070]', '[stiker 👍]']);
  });
});

describe('what is not for us, and redeliveries', () => {
  it('group messages and channel posts are ignored: nothing stored, nothing sent', async () => {
    await desk.handle(tg.group(ani, 'syarat akta kelahiran'));
    await desk.handle(tg.channelPost('Jadwal pelayanan keliling minggu ini'));
    expect(desk.sent()).toHaveLength(0);
    expect(await desk.store.conversations.list({ channel: 'telegram' })).toHaveLength(0);
  });

  it('the same update delivered twice, or the same message in a new update, gets one reply', async () => {
    const first = tg.text(budi, 'syarat KTP hilang');
    await desk.handle(first);
    await desk.handle(first);
    await desk.handle({ ...first, update_id: first.update_id + 500 });
    expect(desk.sent(budi.chatId)).toHaveLength(1);
    const photo = tg.photo(budi);
    await desk.handle(photo);
    await desk.handle(photo);
    expect(desk.sent(budi.chatId)).toHaveLength(2);
    expect(desk.fileRequests).toHaveLength(1);
    expect(desk.logs.some((line) => line.msg === 'duplicate delivery ignored')).toBe(true);
  });

  it('a failed download fails the update (so a webhook redelivers it) after retries; the redelivery works', async () => {
    let failures = 0;
    desk.respond.with = (call) => (call.method === 'getFile' && failures++ < 3 ? new Error('socket hang up') : undefined);
    const photo = tg.photo(ani);
    await expect(desk.handle(photo)).rejects.toThrow(/download failed/u);
    expect(desk.sent(ani.chatId)).toHaveLength(0);
    await desk.handle(photo);
    expect(String(lastSent(ani.chatId).payload.text)).toContain('berkas Anda sudah kami terima');
  });
});

describe('sending', () => {
  it('long replies are split under 4096 characters; the keyboard comes with the last part only', () => {
    const paragraph = `${'Persyaratan *penting* untuk warga. '.repeat(40)}\n\n`;
    const parts = desk.sender.encode({ text: paragraph.repeat(6), options: [{ label: 'Ya, kirim', value: 'ya' }] } as StoredMessage);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(4096);
    expect(parts.slice(0, -1).every((part) => part.options === undefined)).toBe(true);
    expect(parts.at(-1)!.options).toEqual([{ label: 'Ya, kirim', value: 'ya' }]);
    expect(desk.sender.capabilities).toEqual({ buttons: true, maxTextLength: 4096, markup: 'telegram-html' });
    expect(desk.sender.ratePerSecond).toBe(25);
  });

  it('HTML is escaped: a citizen-facing text with < and & survives', async () => {
    const [part] = desk.sender.encode({ text: 'Biaya <Rp 0> & *gratis*' } as StoredMessage);
    expect(part!.text).toBe('Biaya &lt;Rp 0&gt; &amp; <b>gratis</b>');
    const result = await desk.sender.send(String(ani.chatId), part!, 'k1');
    expect(result.platformMessageId).toMatch(new RegExp(`^${ani.chatId}:\\d+$`, 'u'));
  });

  it('a reply Telegram cannot parse as HTML is sent again as plain text', async () => {
    desk.respond.with = (call) =>
      call.method === 'sendMessage' && call.payload.parse_mode === 'HTML' ? { ok: false, error_code: 400, description: "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"" } : undefined;
    await desk.sender.send(String(ani.chatId), { text: '<b>Syarat' }, 'k2');
    expect(desk.sent(ani.chatId).at(-1)!.payload).toMatchObject({ text: 'Syarat' });
    expect(desk.sent(ani.chatId).at(-1)!.payload.parse_mode).toBeUndefined();
  });

  it('blocked bot, deleted account and unknown chat are permanent failures; 429, 5xx and the network are retried', async () => {
    const attempt = async (answer: ReturnType<NonNullable<TelegramDesk['respond']['with']>>) => {
      desk.respond.with = (call) => (call.method === 'sendMessage' ? answer : undefined);
      return desk.sender.send(String(ani.chatId), { text: 'Halo' }, 'k3').then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    };
    const blocked = await attempt({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    expect(blocked).toBeInstanceOf(PermanentJobError);
    expect(blocked!.message).toContain('blocked by the user');
    expect(await attempt({ ok: false, error_code: 403, description: 'Forbidden: user is deactivated' })).toBeInstanceOf(PermanentJobError);
    expect(await attempt({ ok: false, error_code: 400, description: 'Bad Request: chat not found' })).toBeInstanceOf(PermanentJobError);

    const limited = await attempt({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 35', parameters: { retry_after: 35 } });
    expect(limited).toBeInstanceOf(TelegramRateLimitError);
    expect(limited).not.toBeInstanceOf(PermanentJobError);
    expect((limited as TelegramRateLimitError).retryAfterMs).toBe(35_000);

    const down = await attempt({ ok: false, error_code: 502, description: 'Bad Gateway' });
    expect(down).toBeInstanceOf(Error);
    expect(down).not.toBeInstanceOf(PermanentJobError);
    const offline = await attempt(new HttpError('Network request for \'sendMessage\' failed!', new Error('connect ECONNREFUSED')));
    expect(offline).not.toBeInstanceOf(PermanentJobError);
    expect(offline!.message).toMatch(/unreachable/u);
  });

  it('a short 429 is waited out once in place and the message goes through', async () => {
    const waits: number[] = [];
    const api = desk.channel.bot.api;
    const sender = createTelegramSender(api, { sleep: async (ms) => void waits.push(ms) });
    let limited = 1;
    desk.respond.with = (call) =>
      call.method === 'sendMessage' && limited-- > 0 ? { ok: false, error_code: 429, description: 'Too Many Requests: retry after 2', parameters: { retry_after: 2 } } : undefined;
    const result = await sender.send(String(budi.chatId), { text: 'Halo' }, 'k4');
    expect(waits).toEqual([2000]);
    expect(result.platformMessageId).toBeDefined();
  });

  it('maps grammY errors without a network', () => {
    const err = (code: number, description: string) => new GrammyError('call failed', { ok: false, error_code: code, description }, 'sendMessage', {});
    expect(mapTelegramError(err(403, 'Forbidden: bot was kicked'))).toBeInstanceOf(PermanentJobError);
    expect(mapTelegramError(err(400, 'Bad Request: chat not found'))).toBeInstanceOf(PermanentJobError);
    expect(mapTelegramError(err(500, 'Internal Server Error'))).not.toBeInstanceOf(PermanentJobError);
    expect(mapTelegramError(new HttpError('Network request failed', new Error('ETIMEDOUT')))).not.toBeInstanceOf(PermanentJobError);
  });
});

describe('through the outbox', () => {
  it('a citizen who blocked the bot: the reply fails at once and is visible to admins; a 502 is retried and sent', async () => {
    desk.respond.with = (call) => (call.method === 'sendMessage' && call.payload.chat_id === String(ani.chatId) ? { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } : undefined);
    await desk.handle(tg.text(ani, 'syarat KK hilang'));
    const failed = await desk.store.messages.failedDeliveries(10);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.delivery).toMatchObject({ status: 'failed', attempts: 1, sentParts: 0 });
    expect(failed[0]!.delivery!.lastError).toContain('blocked by the user');

    let outages = 2;
    desk.respond.with = (call) => (call.method === 'sendMessage' && outages-- > 0 ? { ok: false, error_code: 502, description: 'Bad Gateway' } : undefined);
    await desk.handle(tg.text(budi, 'syarat KK hilang'));
    const contact = await desk.store.contacts.upsert('telegram', String(budi.chatId));
    const reply = (await desk.store.messages.listForContact(contact.id)).find((message) => message.direction === 'out')!;
    expect(reply.delivery).toMatchObject({ status: 'sent', attempts: 3, sentParts: 1 });
    expect(desk.sent(budi.chatId)).toHaveLength(3);
  });
});

describe('configuration', () => {
  const load = (env: Record<string, string>) => loadConfig(env, { dotenvPath: '/nonexistent' });
  it('the channel is off without a token; polling with one; the webhook needs a good secret', () => {
    expect(load({}).TELEGRAM_BOT_TOKEN).toBeUndefined();
    expect(load({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/' })).toMatchObject({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: 'http://127.0.0.1:8081' });
    const hook = { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_URL: 'https://chat.palukota.go.id/telegram/webhook' };
    expect(() => load(hook)).toThrow(/TELEGRAM_WEBHOOK_SECRET="": wajib diisi/u);
    // A secret is never repeated in the message (it would end up in logs).
    expect(() => load({ ...hook, TELEGRAM_WEBHOOK_SECRET: 'pendek' })).toThrow(/TELEGRAM_WEBHOOK_SECRET=\(disembunyikan\): minimal 16 karakter/u);
    expect(() => load({ ...hook, TELEGRAM_WEBHOOK_SECRET: 'rahasia sekali dengan spasi' })).toThrow(/hanya huruf, angka/u);
    expect(load({ ...hook, TELEGRAM_WEBHOOK_SECRET: 'a1B2c3D4e5F6g7H8_-x' }).TELEGRAM_WEBHOOK_SECRET).toBe('a1B2c3D4e5F6g7H8_-x');
    expect(() => load({ ...hook, TELEGRAM_WEBHOOK_URL: 'http://chat.palukota.go.id/telegram/webhook', TELEGRAM_WEBHOOK_SECRET: 'a1B2c3D4e5F6g7H8' })).toThrow(/https:\/\//u);
    expect(() => load({ TELEGRAM_WEBHOOK_URL: hook.TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET: 'a1B2c3D4e5F6g7H8' })).toThrow(/TELEGRAM_BOT_TOKEN="": wajib diisi/u);
    expect(() => load({ TELEGRAM_BOT_TOKEN: 'not-a-token' })).toThrow(/TELEGRAM_BOT_TOKEN=\(disembunyikan\): token dari @BotFather/u);
  });
});

describe('webhook mode', () => {
  it('setWebhook on start with the secret; the webhook answers 401 without it and handles updates with it', async () => {
    const secret = 'S3cret_webhook-token_for-tests';
    const hooked = await createTelegramDesk({ webhook: { url: 'https://chat.palukota.go.id/telegram/webhook', secret } });
    const http = express();
    http.use('/telegram', hooked.channel.router!);
    const server = createServer(http);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
    try {
      await hooked.channel.start();
      const setWebhook = hooked.calls.find((call) => call.method === 'setWebhook')!;
      expect(setWebhook.payload).toMatchObject({ url: 'https://chat.palukota.go.id/telegram/webhook', secret_token: secret, allowed_updates: ['message'], drop_pending_updates: false });

      const post = (headers: Record<string, string>, body: unknown) =>
        fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const question = tg.text(ani, 'syarat akta kelahiran');
      expect((await post({}, question)).status).toBe(401);
      expect((await post({ 'X-Telegram-Bot-Api-Secret-Token': 'wrong-secret-of-the-same-len' }, question)).status).toBe(401);
      expect((await post({ 'X-Telegram-Bot-Api-Secret-Token': `${secret}x` }, question)).status).toBe(401);
      expect(hooked.sent()).toHaveLength(0);
      expect(await hooked.store.conversations.list({ channel: 'telegram' })).toHaveLength(0);

      const ok = await post({ 'X-Telegram-Bot-Api-Secret-Token': secret }, question);
      expect(ok.status).toBe(200);
      await hooked.flush();
      expect(String(hooked.sent(ani.chatId)[0]!.payload.text)).toContain('<b>Syarat yang perlu dibawa:</b>');
      // Telegram redelivers: answered 200, no second reply.
      expect((await post({ 'X-Telegram-Bot-Api-Secret-Token': secret }, question)).status).toBe(200);
      await hooked.flush();
      expect(hooked.sent(ani.chatId)).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hooked.close();
    }
  });
});
