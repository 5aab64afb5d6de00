/**
 * The agents' side of a conversation at the service level: atomic claims,
 * replies that reach the citizen, the bot staying silent, handing back,
 * closing with a rating, auto-assignment among online agents with capacity,
 * and the "nobody answered" check running once.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Helpdesk } from '../bot/helpdesk.js';
import { OFFICE_SETTING } from '../bot/knowledge-base.js';
import { createLogger } from '../bot/log.js';
import { createEmbeddedQueue } from '../bot/queue/embedded.js';
import type { JobQueue } from '../bot/queue/types.js';
import type { User } from '../bot/store/types.js';
import type { OfficeProfile } from '../knowledge/schema.js';
import { createTestHelpdesk, OFFICE_OPEN, type TestHelpdesk } from './helpers/helpdesk.js';

let desk: TestHelpdesk;
let queue: JobQueue;
let helpdesk: Helpdesk;
let now = OFFICE_OPEN();

const makeAgent = async (username: string, role: User['role'] = 'agent', capacity = 5) =>
  desk.store.users.create({ username, displayName: username.toUpperCase(), role, passwordHash: 'x', capacity });

const conversationOf = async (citizen: string) => desk.store.conversations.open(await desk.store.contacts.upsert('web', citizen));
const waitFor = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

beforeEach(async () => {
  now = OFFICE_OPEN();
  desk = await createTestHelpdesk({ now: () => now });
  queue = createEmbeddedQueue(desk.store.jobs, { pollMs: 10 });
  helpdesk = new Helpdesk({ store: desk.store, dispatcher: desk.dispatcher, queue, log: createLogger({ level: 'silent' }), clock: () => now, handoffTimeoutMinutes: 10 });
  helpdesk.start();
});
afterEach(async () => {
  await queue.close();
  await desk.close();
});

describe('claiming', () => {
  it('two agents clicking at once: exactly one owns the conversation', async () => {
    await desk.say('warga-1', 'mau bicara dengan petugas');
    const conversation = await conversationOf('warga-1');
    const agents = await Promise.all(['ani', 'budi', 'citra', 'dedi', 'eka'].map((name) => makeAgent(name)));
    const results = await Promise.all(agents.map((agent) => helpdesk.claim(conversation.id, agent)));
    const winners = results.filter((result) => result !== null);
    expect(winners).toHaveLength(1);
    const stored = (await desk.store.conversations.get(conversation.id))!;
    expect(stored.state).toBe('agent');
    expect(agents.map((a) => a.id)).toContain(stored.assigneeId);
  });

  it('an agent reply reaches the citizen and the bot stays silent while the agent owns the chat', async () => {
    await desk.say('warga-2', 'mau bicara dengan petugas');
    const conversation = await conversationOf('warga-2');
    const agent = await makeAgent('ani');
    await helpdesk.claim(conversation.id, agent);
    await helpdesk.reply(conversation.id, agent, { text: 'Selamat siang, ada yang bisa dibantu?' });
    expect(await desk.say('warga-2', 'syarat ktp hilang apa?')).toEqual([]);
    const history = await desk.store.messages.list(conversation.id);
    expect(history.map((m) => [m.author, m.text.split('\n')[0]])).toEqual(
      expect.arrayContaining([
        ['system', expect.stringMatching(/dilayani oleh petugas \*ANI\*/u)],
        ['agent', 'Selamat siang, ada yang bisa dibantu?'],
        ['citizen', 'syarat ktp hilang apa?'],
      ]),
    );
    expect(history.at(-1)!.author).toBe('citizen');
    const other = await makeAgent('budi');
    await expect(helpdesk.reply(conversation.id, other, { text: 'saya juga' })).rejects.toMatchObject({ status: 403 });
  });

  it('handing back: the bot answers again, starting with the menu', async () => {
    await desk.say('warga-3', 'hubungkan ke petugas');
    const conversation = await conversationOf('warga-3');
    const agent = await makeAgent('ani');
    await helpdesk.claim(conversation.id, agent);
    await helpdesk.handBack(conversation.id, agent);
    const last = (await desk.store.messages.list(conversation.id)).at(-1)!;
    expect(last).toMatchObject({ author: 'bot', kind: 'menu' });
    const [answer] = await desk.say('warga-3', '1');
    expect(answer!.kind).toBe('menu'); // "1" picks the first option of the menu the bot just showed
    const [checklist] = await desk.say('warga-3', 'syarat kk hilang');
    expect(checklist!.entry).toBe('kk-hilang-rusak');
  });

  it('closing asks the citizen for a rating and stores it', async () => {
    await desk.say('warga-4', 'mau bicara dengan petugas');
    const conversation = await conversationOf('warga-4');
    const agent = await makeAgent('ani');
    await helpdesk.claim(conversation.id, agent);
    await helpdesk.close(conversation.id, agent);
    expect((await desk.store.conversations.get(conversation.id))!.state).toBe('closed');
    const next = await conversationOf('warga-4');
    expect((await desk.store.messages.list(next.id)).at(-1)!.text).toMatch(/penilaian Anda/u);
    const [thanks] = await desk.say('warga-4', '5');
    expect(thanks!.kind).toBe('thanks');
    expect(await desk.store.ratings.list({})).toEqual([expect.objectContaining({ conversationId: conversation.id, agentId: agent.id, score: 5 })]);
  });
});

describe('assignment and waiting', () => {
  it('auto-assigns round robin among online agents with room', async () => {
    const ani = await makeAgent('ani', 'agent', 1);
    const budi = await makeAgent('budi', 'agent', 1);
    await makeAgent('citra'); // not online
    await helpdesk.heartbeat(ani);
    await helpdesk.heartbeat(budi);
    for (const citizen of ['a', 'b', 'c']) await desk.say(citizen, 'mau bicara dengan petugas');
    const owners = async () => Promise.all(['a', 'b', 'c'].map(async (c) => (await conversationOf(c)).assigneeId));
    await waitFor(async () => (await owners()).filter(Boolean).length === 2, 'two assignments');
    const assigned = await owners();
    expect(new Set(assigned.filter(Boolean))).toEqual(new Set([ani.id, budi.id])); // each at capacity 1
    expect(assigned.filter((owner) => owner === null)).toHaveLength(1); // the third waits
  });

  it('no agent within the timeout: the citizen is told, once, with a ticket number and the office hours', async () => {
    await desk.say('warga-5', 'mau bicara dengan petugas');
    const conversation = await conversationOf('warga-5');
    // The check is queued 10 minutes ahead; two copies due now stand for a retry and a duplicate from another instance.
    const [job] = await desk.store.jobs.list({ queue: 'handoff-timeout' });
    expect(job).toBeDefined();
    for (const copy of ['now-1', 'now-2']) await desk.store.jobs.add({ id: `${job!.id}:${copy}`, queue: job!.queue, data: job!.data, runAt: new Date(0) });
    await waitFor(async () => (await desk.store.jobs.counts('handoff-timeout')).completed >= 2, 'both copies of the check');
    await waitFor(async () => (await desk.store.tickets.list({ conversationId: conversation.id })).length === 1, 'the ticket');
    const messages = await desk.store.messages.list(conversation.id);
    const told = messages.filter((m) => /belum ada petugas/u.test(m.text));
    expect(told).toHaveLength(1);
    const [ticket] = await desk.store.tickets.list({ conversationId: conversation.id });
    expect(told[0]!.text).toContain(ticket!.number);
    expect(told[0]!.text).toMatch(/Jam layanan petugas/u);
  });

  it('outside office hours a handoff becomes a ticket at once, with when a human will answer', async () => {
    const office = (await desk.store.settings.get<OfficeProfile>(OFFICE_SETTING))!;
    now = new Date('2026-11-22T02:00:00Z'); // Sunday
    const [reply] = await desk.say('warga-6', 'mau bicara dengan petugas');
    expect(reply!.kind).toBe('handoff');
    expect(reply!.text).toMatch(/ADU-\d{4}-\d{6}/u);
    expect(reply!.text).toMatch(/besok \(Senin\) pukul 08\.00/u);
    expect(reply!.text).toContain(office.hoursText.split('\n')[0]!.slice(0, 20));
  });

  it('supervisors reassign; agents cannot', async () => {
    await desk.say('warga-7', 'mau bicara dengan petugas');
    const conversation = await conversationOf('warga-7');
    const ani = await makeAgent('ani');
    const budi = await makeAgent('budi');
    const boss = await makeAgent('siti', 'supervisor');
    await helpdesk.claim(conversation.id, ani);
    await expect(helpdesk.assign(conversation.id, budi.id, ani)).rejects.toMatchObject({ status: 403 });
    const moved = await helpdesk.assign(conversation.id, budi.id, boss);
    expect(moved.assigneeId).toBe(budi.id);
  });
});
