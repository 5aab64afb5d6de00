/**
 * The privacy notice (UU 27/2022 Pasal 21: tell people what is kept and why)
 * reaches citizens on every channel at first contact, through each real
 * channel adapter: web chat over its HTTP API, Telegram through the real
 * long-polling channel against the Bot API emulator, WhatsApp through the
 * real channel at the socket boundary. It comes once per conversation, with
 * whatever the first reply is (a greeting, an answer, a handoff), and again
 * in a citizen's next conversation.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { texts } from '../bot/texts.js';
import { loadOffice } from '../knowledge/load.js';
import { WebCitizen } from './helpers/inbox.js';
import { startApp, type RunningApp } from './helpers/webchat.js';
import { createWhatsAppDesk, wa, type WhatsAppDesk } from './helpers/whatsapp.js';

const EMULATOR_PORT = 9573; // this file's own (see telegram.e2e.test.ts on the emulator's ports)
const TOKEN = '7000000003:AAe2eTokenForSiratuPrivacyNotice_0';
const office = loadOffice('palu');
/** The notice's own words, without the markup each channel converts differently. */
const NOTICE = texts.privacyNotice(office).replace(/^_|_$/gu, '');
const firstSentence = NOTICE.split('. ')[0]!;
const hasNotice = (text: string) => text.includes(firstSentence) && /Jangan kirim NIK/u.test(text);

let emulator: TelegramServer;
let server: RunningApp;
let desk: WhatsAppDesk;

beforeAll(async () => {
  emulator = new TelegramServer({ port: EMULATOR_PORT, host: '127.0.0.1', storeTimeout: 600 });
  await emulator.start();
  server = await startApp({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: emulator.config.apiURL });
  desk = await createWhatsAppDesk();
});

afterAll(async () => {
  await server?.close(); // the bot before the emulator: a poller left running would spin
  await emulator?.stop();
  await desk?.close();
});

describe('what the notice says', () => {
  it('names the office that keeps the conversation and what for, and warns against sending ID numbers', () => {
    expect(NOTICE).toContain(`disimpan oleh ${office.shortName}`);
    expect(NOTICE).toMatch(/untuk melayani pertanyaan dan pengaduan/u);
    expect(NOTICE).toMatch(/Jangan kirim NIK atau foto KTP\/KK/u);
  });
});

describe('the notice at first contact, on every channel', () => {
  it('web chat: with the first reply of a conversation, whatever it is, and again in the next conversation', async () => {
    const ani = await WebCitizen.start(server.base);
    const [first] = await ani.say('syarat akta kelahiran');
    expect(first!.kind).toBe('answer');
    expect(hasNotice(first!.text)).toBe(true);
    expect((await ani.say('kalau hilang?')).some((reply) => hasNotice(reply.text))).toBe(false);

    // A first message asking for a human gets it too.
    const budi = await WebCitizen.start(server.base);
    const replies = await budi.say('mau bicara dengan petugas');
    expect(replies.at(-1)!.kind).toBe('handoff');
    expect(hasNotice(replies.at(-1)!.text)).toBe(true);

    // Conversation closed; the citizen comes back: a new conversation, the notice again.
    const conversation = await ani.conversation(server.app);
    await server.app.store.conversations.update(conversation.id, { state: 'closed', closedAt: new Date() });
    expect((await ani.say('halo')).some((reply) => hasNotice(reply.text))).toBe(true);
  });

  it('Telegram: the bot’s first message to a new chat carries it (in Telegram’s own italics), the next one does not', async () => {
    const chatId = 62_001;
    const client = emulator.getClient(TOKEN, { chatId, userId: chatId, firstName: 'Citra', userName: 'citra', timeout: 8000, interval: 50 });
    const say = async (text: string) => {
      if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
      else await client.sendMessage(client.makeMessage(text));
      const received: string[] = [];
      const deadline = Date.now() + 8000;
      let quietSince = Date.now();
      while (Date.now() < deadline) {
        const response = (await fetch(`${emulator.config.apiURL}/getUpdates`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ token: TOKEN, chatId }),
        }).then((r) => r.json())) as { result: { message: { text: string } }[] };
        if (response.result.length > 0) {
          received.push(...response.result.map((update) => update.message.text));
          quietSince = Date.now();
        }
        if (received.length > 0 && Date.now() - quietSince > 250) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return received;
    };
    const first = await say('/start');
    expect(first.length).toBeGreaterThan(0);
    expect(hasNotice(first.at(-1)!)).toBe(true);
    expect(first.at(-1)!).toContain(`<i>${firstSentence}`);
    const second = await say('syarat kk hilang');
    expect(second.length).toBeGreaterThan(0);
    expect(second.some(hasNotice)).toBe(false);
  });

  it('WhatsApp: the first reply to a new number carries it, the next one does not', async () => {
    const jid = '6281355500101@s.whatsapp.net';
    await desk.receive(wa.text(jid, 'assalamualaikum, syarat KTP baru apa ya'));
    const first = desk.sent(jid);
    expect(first.length).toBeGreaterThan(0);
    expect(hasNotice(first.at(-1)!.text)).toBe(true);
    expect(first.at(-1)!.text).toContain(`_${firstSentence}`); // WhatsApp keeps its own italics
    await desk.receive(wa.text(jid, 'kalau KK?'));
    expect(desk.sent(jid).slice(first.length).some((message) => hasNotice(message.text))).toBe(false);
  });
});
