/**
 * Telegram end to end: the REAL app (createApp with a fresh data directory,
 * embedded store and queue, the outbox) long-polls a local Bot API emulator
 * (telegram-test-api) and a simulated citizen chats with it the way the
 * Telegram app would: commands, typed questions, keyboard buttons pressed.
 *
 * The emulator busy-polls (it ignores getUpdates' timeout) and maps port 0
 * to 9000, so it runs on a fixed port of this file's own, and the bot is
 * stopped (app.close) before the emulator.
 *
 * What the citizens saw is written to tests/artifacts/telegram-transcript.txt
 * (gitignored) for a person to read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import { convertMarkup } from '../channels/encode.js';
import { createApp, type App } from '../scripts/app.js';
import { loadConfig } from '../scripts/config.js';
import { makeTempDir } from './helpers/tmp.js';

const EMULATOR_PORT = 9561;
const TOKEN = '7000000002:AAe2eTokenForSiratuTelegramTests_0';

interface BotMessage {
  text: string;
  parse_mode?: string;
  reply_markup?: { keyboard?: { text: string }[][]; remove_keyboard?: boolean; one_time_keyboard?: boolean; resize_keyboard?: boolean };
}

let emulator: TelegramServer;
let app: App;
let temp: ReturnType<typeof makeTempDir>;

beforeAll(async () => {
  emulator = new TelegramServer({ port: EMULATOR_PORT, host: '127.0.0.1', storeTimeout: 600 });
  await emulator.start();
  temp = makeTempDir('siratu-telegram-e2e-');
  const config = loadConfig(
    { HOST: '127.0.0.1', DATA_DIR: temp.dir, LOG_LEVEL: 'silent', TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: emulator.config.apiURL },
    { dotenvPath: '/nonexistent' },
  );
  app = await createApp({ ...config, PORT: 0 });
  await app.listen();
});

const transcript: string[] = [];

afterAll(async () => {
  const artifacts = join(process.cwd(), 'tests', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, 'telegram-transcript.txt'), `${transcript.join('\n')}\n`);
  // The bot first: the emulator answers getUpdates instantly, so a poller left running would spin.
  await app?.close();
  await emulator?.stop();
  temp?.remove();
});

const chats = new Map<TelegramClient, number>();

/** A Telegram user in a private chat with the bot. */
function citizen(chatId: number, firstName: string): TelegramClient {
  const client = emulator.getClient(TOKEN, { chatId, userId: chatId, firstName, userName: firstName.toLowerCase(), timeout: 8000, interval: 50 });
  chats.set(client, chatId);
  return client;
}

/**
 * Sends a message (or a /command) and collects the bot's messages to this
 * chat until `count` arrived and nothing more came for a moment.
 */
async function say(client: TelegramClient, text: string, count = 1): Promise<BotMessage[]> {
  const chatId = chats.get(client)!;
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
  const received: BotMessage[] = [];
  const deadline = Date.now() + 8000;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const res = (await fetch(`${emulator.config.apiURL}/getUpdates`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: TOKEN, chatId }),
    }).then((r) => r.json())) as { result: { message: BotMessage }[] };
    if (res.result.length > 0) {
      received.push(...res.result.map((update) => update.message));
      quietSince = Date.now();
    }
    if (received.length >= count && Date.now() - quietSince > 250) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  transcript.push(`[${chatId}] citizen> ${text}`);
  for (const message of received) {
    transcript.push(`[${chatId}] bot (${message.parse_mode ?? 'plain'})>\n${message.text}`);
    const keyboard = (message.reply_markup?.keyboard ?? []).map((row) => `[ ${row[0]!.text} ]`);
    transcript.push(keyboard.length ? `  keyboard: ${keyboard.join(' ')}` : `  keyboard: ${message.reply_markup?.remove_keyboard ? 'removed' : 'unchanged'}`);
  }
  transcript.push('');
  expect(received.length).toBeGreaterThanOrEqual(count);
  return received;
}

const labels = (message: BotMessage) => (message.reply_markup?.keyboard ?? []).map((row) => row[0]!.text);

describe('Telegram end to end (long polling against the Bot API emulator)', () => {
  it('"syarat akta kelahiran" gets the same checklist as on web chat', async () => {
    const sari = citizen(61_001, 'Sari');
    const [reply, ...more] = await say(sari, 'syarat akta kelahiran');
    expect(more).toHaveLength(0);

    // The same question on web chat, same engine.
    const web = await app.dispatcher.receive({ channel: 'web', senderId: 'e2e-web-citizen', text: 'syarat akta kelahiran' });
    expect(web.replies).toHaveLength(1);
    expect(reply!.parse_mode).toBe('HTML');
    expect(reply!.text).toBe(convertMarkup(web.replies[0]!.text, 'telegram-html'));
    expect(reply!.text).toContain('<b>Syarat yang perlu dibawa:</b>');
    for (const requirement of ['Surat keterangan lahir', 'Buku nikah', 'Kartu Keluarga (KK)', 'KTP-el ayah dan ibu']) expect(reply!.text).toContain(requirement);
    expect(reply!.reply_markup).toEqual({ remove_keyboard: true });

    // Stored on channel telegram, answered from the same entry, delivered.
    const contact = await app.store.contacts.upsert('telegram', '61001');
    const history = await app.store.messages.listForContact(contact.id);
    const out = history.find((message) => message.direction === 'out')!;
    expect(out.entry).toBe(web.replies[0]!.entry);
    expect(out.entry).toBe('akta-kelahiran');
    expect((await app.store.messages.get(out.id))!.delivery).toMatchObject({ status: 'sent', sentParts: 1 });
    expect(contact.name).toBe('Sari');
  });

  it('/start greets with the menu as keyboard buttons; pressing buttons walks the menu', async () => {
    const rudi = citizen(61_002, 'Rudi');
    const [greeting] = await say(rudi, '/start');
    expect(greeting!.text).toContain('Halo! Saya <b>SIRATU</b>');
    expect(labels(greeting!)).toEqual([
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
    expect(greeting!.reply_markup).toMatchObject({ resize_keyboard: true, one_time_keyboard: true });

    const [submenu] = await say(rudi, '1. KTP-el');
    expect(submenu!.text).toContain('<b>KTP-el</b>');
    expect(labels(submenu!)).toContain('2. KTP-el hilang atau rusak');
    const [answer] = await say(rudi, '2. KTP-el hilang atau rusak');
    expect(answer!.text).toContain('<b>Syarat yang perlu dibawa:</b>');
    expect(answer!.reply_markup).toEqual({ remove_keyboard: true });

    const [menu] = await say(rudi, '/menu');
    expect(menu!.text).toContain('Silakan pilih layanan');
    expect(labels(menu!)).toHaveLength(9);
  });

  it('a complaint filed with buttons ends with an ADU number; /batal leaves an intake', async () => {
    const maya = citizen(61_003, 'Maya');
    const [categories] = await say(maya, 'saya mau mengadu');
    expect(categories!.text).toContain('Pengaduan Anda tentang apa?');
    const pungli = labels(categories!).find((label) => label.includes('pungutan liar'))!;
    expect(pungli).toBeDefined();
    const [askStory] = await say(maya, pungli);
    expect(askStory!.text).toContain('Ceritakan singkat');
    const [askPlace] = await say(maya, 'Oknum di loket minta uang 100 ribu supaya KTP saya cepat jadi, kemarin pagi');
    expect(labels(askPlace!)).toContain('Lewati');
    const [askName] = await say(maya, labels(askPlace!).find((label) => label !== 'Lewati')!); // a kecamatan button
    const [askPhone] = await say(maya, labels(askName!)[0]!); // Lewati
    const [confirm] = await say(maya, '081234567890');
    expect(confirm!.text).toContain('Mohon periksa pengaduan Anda');
    expect(labels(confirm!)).toEqual(['Ya, kirim', 'Batal']);
    expect(askPhone!.text).toContain('Nomor HP');
    const [filed] = await say(maya, 'Ya, kirim');
    const number = /ADU-(\d{4})-\d{6}/u.exec(filed!.text);
    expect(number).not.toBeNull();
    expect(Number(number![1])).toBe(new Date().getFullYear());
    expect(filed!.text).toContain('dirahasiakan');
    const ticket = (await app.store.tickets.byNumber(number![0]))!;
    expect(ticket).toMatchObject({ channel: 'telegram', category: 'pungli', reporterPhone: expect.stringMatching(/^(\+?62|0)8/u) });

    await say(maya, 'mau lapor lagi');
    const [cancelled] = await say(maya, '/batal');
    expect(cancelled!.text).toContain('Baik, dibatalkan.');
  });
});
