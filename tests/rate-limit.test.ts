/**
 * The per-sender rate limit (bot/rate-limit.ts, RATE_LIMIT_PER_MINUTE) on the
 * REAL app over real HTTP: a citizen who sends a burst gets answers up to the
 * limit, then ONE polite notice, then silence for the rest of the window; every
 * message is stored, handled (a restart does not answer them late) and shown to
 * agents; after the window the bot answers again. Other citizens and the same id
 * on another channel are not affected. With REDIS_URL, two instances share the
 * count (Redis db 11, emptied before and after).
 *
 * The window is 3 s here instead of a minute (createApp's rateLimitWindowSeconds).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { texts } from '../bot/texts.js';
import type { WebMessage } from '../channels/webchat/encode.js';
import { createApp, type App } from '../scripts/app.js';
import { loadConfig } from '../scripts/config.js';
import { makeStaff, openAroundTheClock, StaffClient, WebCitizen } from './helpers/inbox.js';
import { emptyRedis } from './helpers/redis.js';
import { makeTempDir } from './helpers/tmp.js';

const PER_WINDOW = 5;
const WINDOW_S = 3;
const REDIS_URL = 'redis://127.0.0.1:6379/11';

interface Running {
  app: App;
  base: string;
  close(): Promise<void>;
}

async function start(env: Record<string, string>, dataDir: string): Promise<Running> {
  const config = loadConfig(
    { HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: String(PER_WINDOW), ...env },
    { dotenvPath: '/nonexistent' },
  );
  const app = await createApp(config, { rateLimitWindowSeconds: WINDOW_S });
  const port = await app.listen();
  return { app, base: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same web chat session (one citizen) talking to another instance behind the same address. */
function sameCitizenOn(base: string, citizen: WebCitizen) {
  return {
    async say(text: string): Promise<WebMessage[]> {
      const response = await fetch(`${base}/webchat/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-siratu-session': citizen.session },
        body: JSON.stringify({ text, clientMessageId: randomUUID() }),
      });
      if (response.status !== 200) throw new Error(`web chat POST → ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { replies: WebMessage[] }).replies;
    },
  };
}
const isNotice = (reply: WebMessage) => reply.kind === 'notice' && reply.text === texts.rateLimited;

describe('one instance (embedded store, count in memory)', () => {
  const data = makeTempDir('siratu-rate-');
  let server: Running;

  beforeAll(async () => {
    server = await start({}, data.dir);
    await openAroundTheClock(server.app);
    await makeStaff(server.app, 'petugas-rate', 'agent');
  });

  afterAll(async () => {
    await server?.close();
    data.remove();
  });

  it('a burst gets answers up to the limit, one polite notice, then silence; all stored, agents see them; answers again after the window', async () => {
    const citizen = await WebCitizen.start(server.base);
    const burst = Array.from({ length: PER_WINDOW + 4 }, (_, i) => `syarat ktp hilang apa saja ${i + 1}`);
    const started = Date.now();
    const replies: WebMessage[][] = [];
    for (const text of burst) replies.push(await citizen.say(text));
    // The whole burst must fall in one window for the counts below to mean anything.
    expect(Date.now() - started).toBeLessThan(WINDOW_S * 1000);

    for (const answer of replies.slice(0, PER_WINDOW)) {
      expect(answer.length).toBeGreaterThan(0);
      expect(answer.some(isNotice)).toBe(false);
    }
    expect(replies[PER_WINDOW]).toHaveLength(1);
    expect(isNotice(replies[PER_WINDOW]![0]!)).toBe(true);
    expect(replies[PER_WINDOW]![0]!.text).toMatch(/terlalu banyak dalam waktu singkat/u);
    for (const answer of replies.slice(PER_WINDOW + 1)) expect(answer).toEqual([]);

    // Nothing lost: every citizen message is in the history, the notice exactly once.
    const history = await citizen.history();
    expect(history.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual(burst);
    expect(history.filter(isNotice)).toHaveLength(1);
    // Each one counts as handled: a restart (dispatcher.recover) will not answer them late.
    const conversation = await citizen.conversation(server.app);
    const pending = await server.app.store.messages.unhandled(1000);
    expect(pending.filter((m) => m.conversationId === conversation.id)).toEqual([]);

    // Agents see all of them in the inbox.
    const agent = await StaffClient.signIn(server.base, 'petugas-rate');
    const view = await agent.json<{ messages: { side: string; text: string }[] }>(`/admin/api/inbox/c/${conversation.id}`);
    expect(view.messages.filter((m) => m.side === 'citizen').map((m) => m.text)).toEqual(burst);

    // Another citizen is not held back meanwhile.
    const other = await WebCitizen.start(server.base);
    const otherAnswer = await other.say('syarat akta kelahiran');
    expect(otherAnswer.length).toBeGreaterThan(0);
    expect(otherAnswer.some(isNotice)).toBe(false);

    // After the window the bot answers again.
    await sleep(WINDOW_S * 1000 + 300);
    const again = await citizen.say('syarat akta kelahiran');
    expect(again.length).toBeGreaterThan(0);
    expect(again.some(isNotice)).toBe(false);
    expect(again[0]!.kind).toBe('answer');
  });

  it('counts per channel identity: the same id on Telegram and WhatsApp are different citizens', async () => {
    const { dispatcher } = server.app;
    const say = (channel: 'telegram' | 'whatsapp', senderId: string, text: string) => dispatcher.receive({ channel, senderId, text });
    const telegram: string[][] = [];
    for (let i = 0; i < PER_WINDOW + 2; i++) telegram.push((await say('telegram', '81234', `syarat kk ${i}`)).replies.map((m) => m.kind ?? ''));
    expect(telegram.slice(0, PER_WINDOW).every((kinds) => kinds.length > 0 && !kinds.includes('notice'))).toBe(true);
    expect(telegram[PER_WINDOW]).toEqual(['notice']);
    expect(telegram[PER_WINDOW + 1]).toEqual([]);
    const whatsapp = await say('whatsapp', '81234', 'syarat kk');
    expect(whatsapp.replies.length).toBeGreaterThan(0);
    expect(whatsapp.replies.some((m) => m.kind === 'notice')).toBe(false);
  });
});

describe('two instances on Redis share the limit', () => {
  const data = makeTempDir('siratu-rate-redis-');
  let a: Running;
  let b: Running;

  beforeAll(async () => {
    await emptyRedis(REDIS_URL);
    a = await start({ REDIS_URL }, data.dir);
    b = await start({ REDIS_URL }, data.dir);
    await openAroundTheClock(a.app);
    b.app.knowledge.invalidate();
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    data.remove();
    await emptyRedis(REDIS_URL);
  });

  it('messages alternating between A and B are counted together: one notice in all, on whichever instance saw the first one over', async () => {
    const onA = await WebCitizen.start(a.base);
    const onB = sameCitizenOn(b.base, onA);
    const replies: WebMessage[][] = [];
    for (let i = 0; i < PER_WINDOW + 3; i++) replies.push(await (i % 2 === 0 ? onA : onB).say(`syarat pindah domisili ${i}`));
    for (const answer of replies.slice(0, PER_WINDOW)) expect(answer.length).toBeGreaterThan(0);
    expect(replies[PER_WINDOW]!.map((m) => m.kind)).toEqual(['notice']);
    for (const answer of replies.slice(PER_WINDOW + 1)) expect(answer).toEqual([]);
    // The count is in Redis (db 11), not in either process.
    const redis = new Redis(REDIS_URL);
    try {
      expect((await redis.keys('siratu:rate:sender*')).length).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
    expect((await onA.history()).filter((m) => m.direction === 'in')).toHaveLength(PER_WINDOW + 3);
  });

  it('a parallel burst through both instances still gets exactly one notice, and every message is stored', async () => {
    const onA = await WebCitizen.start(a.base);
    const onB = sameCitizenOn(b.base, onA);
    const total = PER_WINDOW * 3;
    const replies = await Promise.all(Array.from({ length: total }, (_, i) => (i % 2 === 0 ? onA : onB).say(`syarat akta kematian ${i}`)));
    expect(replies.flat().filter((m) => m.kind === 'notice')).toHaveLength(1);
    expect(replies.filter((answer) => answer.length > 0 && !answer.some((m) => m.kind === 'notice'))).toHaveLength(PER_WINDOW);
    expect(replies.filter((answer) => answer.length === 0)).toHaveLength(total - PER_WINDOW - 1);
    expect((await onA.history()).filter((m) => m.direction === 'in')).toHaveLength(total);

    await sleep(WINDOW_S * 1000 + 300);
    const again = await onB.say('syarat akta kematian');
    expect(again.length).toBeGreaterThan(0);
    expect(again.some((m) => m.kind === 'notice')).toBe(false);
  });
});
