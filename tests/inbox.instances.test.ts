/**
 * Two app instances sharing one database and one Redis (REDIS_URL), as in
 * production behind a load balancer: an agent whose inbox is connected to
 * instance B sees, live, a citizen who writes to instance A; the agent's
 * reply typed on B reaches the citizen's live web chat stream on A.
 * Uses its own Redis database number, emptied before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTempDir } from './helpers/tmp.js';
import { startAdminApp, type AdminTestApp } from './helpers/admin.js';
import { makeStaff, openAroundTheClock, StaffClient, WebCitizen } from './helpers/inbox.js';
import { readEvents } from './helpers/webchat.js';
import { emptyRedis } from './helpers/redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379/13';
const data = makeTempDir('siratu-inbox-instances-');
let a: AdminTestApp;
let b: AdminTestApp;

beforeAll(async () => {
  await emptyRedis(REDIS_URL);
  a = await startAdminApp({ REDIS_URL }, { dataDir: data.dir });
  b = await startAdminApp({ REDIS_URL }, { dataDir: data.dir });
  await openAroundTheClock(a.app);
  b.app.knowledge.invalidate();
  // Capacity 0: online but never auto-assigned, so the conversation waits for her click.
  await makeStaff(a.app, 'yanti', 'agent', { capacity: 0, displayName: 'Yanti' });
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  data.remove();
  await emptyRedis(REDIS_URL);
});

describe('several instances behind one address', () => {
  it('the inbox on B follows a citizen on A live, and the reply from B reaches the citizen on A', async () => {
    const yanti = await StaffClient.signIn(b.base, 'yanti');
    const citizen = await WebCitizen.start(a.base);
    let conversationId = '';
    const inbox = await readEvents(`${b.base}/admin/inbox/events`, {
      headers: { cookie: yanti.http.cookieHeader(), 'x-forwarded-for': yanti.http.ip },
      async onOpen() {
        await citizen.say('mau bicara dengan petugas');
        conversationId = (await citizen.conversation(a.app)).id;
      },
      until: (events) => events.some((e) => e.data.includes(conversationId) && e.data.includes('"state":"waiting"')),
      timeoutMs: 8000,
    });
    expect(conversationId).not.toBe('');
    expect(inbox.events.some((e) => e.data.includes(conversationId) && e.data.includes('"type":"message"'))).toBe(true);
    expect(inbox.events.some((e) => e.data.includes(conversationId) && e.data.includes('"state":"waiting"'))).toBe(true);

    // The citizen's widget stream is held by A; the agent works on B.
    const stream = await readEvents(`${a.base}/webchat/api/events?session=${citizen.session}`, {
      async onOpen() {
        expect((await yanti.post(`/admin/inbox/c/${conversationId}/claim`)).status).toBe(200);
        expect((await yanti.post(`/admin/inbox/c/${conversationId}/reply`, { text: 'Halo, saya Yanti dari instance B.' })).status).toBe(200);
      },
      until: (events) => events.some((e) => e.data.includes('instance B')),
      timeoutMs: 8000,
    });
    const reply = stream.events.map((e) => JSON.parse(e.data) as { author: string; text: string }).find((m) => m.text.includes('instance B'));
    expect(reply).toMatchObject({ author: 'agent', text: 'Halo, saya Yanti dari instance B.' });
  });
});
