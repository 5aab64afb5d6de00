/**
 * The Store contract: one suite, run against every engine. SQLite always
 * runs (temp file); MongoDB runs when MONGODB_URI points at a server (there
 * is none on the development machines, so it is skipped there, loudly).
 * Plus a multi-process test: several Node processes sharing one SQLite file.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Entry } from '../knowledge/schema.js';
import { openStore } from '../bot/store/index.js';
import Database from 'better-sqlite3';
import { ERASURE_TEXT, pseudonymFor, RETENTION_TEXT } from '../bot/store/ids.js';
import {
  auditListQuery,
  conversationListQuery,
  draftListQuery,
  INBOX_SQL,
  messageSearchQuery,
  MIGRATIONS,
  openSqliteStore,
  PRIVACY_SQL,
  STATS_SQL,
  ticketListQuery,
  UNANSWERED_SQL,
  type Query,
} from '../bot/store/sqlite.js';
import {
  DuplicateError,
  TICKET_STATUSES,
  type Contact,
  type Conversation,
  type DeliveryState,
  type Message,
  type NewMessage,
  type NewTicket,
  type NewUser,
  type Rating,
  type Session,
  type Store,
  type Ticket,
} from '../bot/store/types.js';
import { makeTempDir } from './helpers/tmp.js';

interface Engine {
  name: 'sqlite' | 'mongo';
  /** Opens the engine on this test run's database (again after close: same data). */
  open?: () => Promise<Store>;
  /** Deletes this run's database. */
  destroy: () => Promise<void>;
}

const sqliteDir = makeTempDir('siratu-store-');
const sqlite: Engine = {
  name: 'sqlite',
  open: async () => openSqliteStore({ file: join(sqliteDir.dir, 'contract.db') }),
  destroy: async () => sqliteDir.remove(),
};

const mongoUri = process.env.MONGODB_URI;
const mongoDbName = `siratu_test_${Date.now()}_${process.pid}`;
const mongo: Engine = {
  name: 'mongo',
  open: mongoUri
    ? async () => (await import('../bot/store/mongo.js')).openMongoStore({ uri: mongoUri, dbName: mongoDbName })
    : undefined,
  destroy: async () => {
    if (!mongoUri) return;
    const { default: mongoose } = await import('mongoose');
    const connection = await mongoose.createConnection(mongoUri, { dbName: mongoDbName, serverSelectionTimeoutMS: 10_000 }).asPromise();
    await connection.dropDatabase();
    await connection.close();
  },
};
if (!mongoUri) console.warn('MongoDB contract tests skipped: MONGODB_URI is not set (no MongoDB server on this machine)');

const OPEN_STATES = ['bot', 'waiting', 'agent'] as const;
const utc = (year: number, month = 1, day = 1) => new Date(Date.UTC(year, month - 1, day, 3, 0, 0));

function entry(id: string, title: string): Entry {
  return {
    id,
    title,
    document: 'ktp',
    situations: ['baru'],
    summary: 'Penerbitan KTP-el untuk penduduk yang sudah berusia 17 tahun.',
    requirements: ['Fotokopi KK'],
    steps: ['Datang ke kantor', 'Rekam biometrik'],
    where: 'Kantor {{office.shortName}}',
    cost: 'Gratis',
    processingTime: '1 hari kerja',
    legalBasis: ['Perpres 96/2018 Pasal 15'],
    specialCases: [{ when: 'Belum punya KK', then: 'Urus KK lebih dulu' }],
    phrases: ['bikin ktp'],
    related: [],
    lastReviewed: '2026-01-15',
    reviewIntervalDays: 180,
  };
}

describe.each([sqlite, mongo])('$name store', (engine) => {
  // The skip is the point: without a server the Mongo engine cannot be exercised here.
  const suite = engine.open ? describe : describe.skip;

  suite('contract', () => {
    let store: Store;
    let seq = 0;
    /** A fresh citizen (and open conversation) per test, so tests never see each other's data. */
    const citizen = async (channel: Contact['channel'] = 'telegram') => {
      const contact = await store.contacts.upsert(channel, `${engine.name}-citizen-${++seq}`);
      return { contact, conversation: await store.conversations.open(contact) };
    };
    const inbound = (c: { contact: Contact; conversation: Conversation }, text: string, extra: Partial<NewMessage> = {}): NewMessage => ({
      conversationId: c.conversation.id,
      contactId: c.contact.id,
      channel: c.contact.channel,
      direction: 'in',
      author: 'citizen',
      text,
      ...extra,
    });
    const complaint = (c: { contact: Contact; conversation: Conversation }, extra: Partial<NewTicket> = {}): NewTicket => ({
      contactId: c.contact.id,
      conversationId: c.conversation.id,
      channel: c.contact.channel,
      category: 'pelayanan',
      description: 'Antrean terlalu lama di loket KTP',
      ...extra,
    });

    beforeAll(async () => {
      store = await engine.open!();
    });
    afterAll(async () => {
      await store?.close();
      await engine.destroy();
    });

    test('reports its engine', () => {
      expect(store.engine).toBe(engine.name);
    });

    describe('contacts', () => {
      test('upsert creates once and is idempotent, touching lastSeenAt', async () => {
        const first = await store.contacts.upsert('whatsapp', '628111@s.whatsapp.net', 'Siti');
        expect(first).toEqual({
          id: expect.any(String),
          channel: 'whatsapp',
          externalId: '628111@s.whatsapp.net',
          name: 'Siti',
          createdAt: expect.any(Date),
          lastSeenAt: expect.any(Date),
        });
        await new Promise((resolve) => setTimeout(resolve, 5));
        const again = await store.contacts.upsert('whatsapp', '628111@s.whatsapp.net', 'Siti W.');
        expect(again.id).toBe(first.id);
        expect(again.createdAt).toEqual(first.createdAt);
        expect(again.lastSeenAt.getTime()).toBeGreaterThan(first.lastSeenAt.getTime());
        expect(again.name).toBe('Siti'); // a name we have is not overwritten by the platform's
        expect(await store.contacts.get(first.id)).toEqual(again);
      });

      test('concurrent upserts of one identity yield one contact', async () => {
        const all = await Promise.all(Array.from({ length: 10 }, () => store.contacts.upsert('web', 'session-race')));
        expect(new Set(all.map((c) => c.id)).size).toBe(1);
      });

      test('the same external id on another channel is another contact; a missing name is filled in', async () => {
        const web = await store.contacts.upsert('web', 'same-id');
        const telegram = await store.contacts.upsert('telegram', 'same-id');
        expect(web.id).not.toBe(telegram.id);
        expect(web.name).toBeUndefined();
        expect((await store.contacts.upsert('web', 'same-id', 'Budi')).name).toBe('Budi');
      });

      test('get and update', async () => {
        const contact = await store.contacts.upsert('telegram', '777');
        const updated = await store.contacts.update(contact.id, { name: 'Ani', phone: '+6281200000' });
        expect(updated).toEqual({ ...contact, name: 'Ani', phone: '+6281200000' });
        expect(await store.contacts.get(contact.id)).toEqual(updated);
        expect(await store.contacts.update(contact.id, {})).toEqual(updated);
        expect(await store.contacts.get('no-such-contact')).toBeNull();
        expect(await store.contacts.update('no-such-contact', { name: 'X' })).toBeNull();
      });
    });

    describe('conversations', () => {
      test('open() returns the one open conversation, and a new one after closing', async () => {
        const contact = await store.contacts.upsert('web', 'opener');
        const first = await store.conversations.open(contact);
        expect(first).toEqual({
          id: expect.any(String),
          contactId: contact.id,
          channel: 'web',
          externalId: 'opener',
          state: 'bot',
          flow: null,
          memory: {},
          assigneeId: null,
          assignedAt: null,
          handoffRequestedAt: null,
          closedAt: null,
          createdAt: expect.any(Date),
          updatedAt: expect.any(Date),
          lastMessageAt: expect.any(Date),
          version: 1,
          lastTurn: null,
          labels: [],
          lastInboundAt: null,
        });
        expect(await store.conversations.open(contact)).toEqual(first);
        expect(await store.conversations.get(first.id)).toEqual(first);

        const closedAt = new Date();
        const closed = await store.conversations.update(first.id, { state: 'closed', closedAt });
        expect(closed).toMatchObject({ state: 'closed', closedAt, version: 2 });
        const second = await store.conversations.open(contact);
        expect(second.id).not.toBe(first.id);
        expect(second.id > first.id).toBe(true);
        expect(await store.conversations.open(contact)).toEqual(second);
      });

      test('concurrent open() calls agree on one conversation', async () => {
        const contact = await store.contacts.upsert('web', 'racer');
        const all = await Promise.all(Array.from({ length: 10 }, () => store.conversations.open(contact)));
        expect(new Set(all.map((c) => c.id)).size).toBe(1);
        const open = await store.conversations.list({ state: [...OPEN_STATES] });
        expect(open.filter((c) => c.contactId === contact.id)).toHaveLength(1);
      });

      test('update applies the patch, bumps version and updatedAt; unknown id gives null', async () => {
        const { conversation } = await citizen();
        await new Promise((resolve) => setTimeout(resolve, 5));
        const lastMessageAt = new Date();
        const updated = await store.conversations.update(conversation.id, {
          flow: { name: 'complaint', step: 'description', data: { category: 'pelayanan', attempts: 2 } },
          memory: { lastEntry: 'ktp-baru', lastDocument: 'ktp', menu: 'main' },
          lastMessageAt,
        });
        expect(updated).toEqual({
          ...conversation,
          flow: { name: 'complaint', step: 'description', data: { category: 'pelayanan', attempts: 2 } },
          memory: { lastEntry: 'ktp-baru', lastDocument: 'ktp', menu: 'main' },
          lastMessageAt,
          version: 2,
          updatedAt: expect.any(Date),
        });
        expect(updated!.updatedAt.getTime()).toBeGreaterThan(conversation.updatedAt.getTime());
        expect(await store.conversations.get(conversation.id)).toEqual(updated);

        const cleared = await store.conversations.update(conversation.id, { flow: null, memory: {} });
        expect(cleared).toMatchObject({ flow: null, memory: {}, version: 3 });
        expect(await store.conversations.update('no-such-conversation', { state: 'waiting' })).toBeNull();
        expect(await store.conversations.get('no-such-conversation')).toBeNull();
      });

      test('conditions: ifState, ifVersion, ifAssignee (null = unowned)', async () => {
        const { conversation } = await citizen();
        const id = conversation.id;
        expect(await store.conversations.update(id, { state: 'agent' }, { ifState: ['waiting'] })).toBeNull();
        expect(await store.conversations.update(id, { state: 'waiting' }, { ifVersion: 99 })).toBeNull();
        expect(await store.conversations.get(id)).toEqual(conversation); // failed conditions change nothing

        const handoffRequestedAt = new Date();
        const waiting = await store.conversations.update(id, { state: 'waiting', handoffRequestedAt }, { ifState: ['bot'], ifVersion: 1 });
        expect(waiting).toMatchObject({ state: 'waiting', handoffRequestedAt, version: 2 });

        const assignedAt = new Date();
        const claimed = await store.conversations.update(
          id,
          { state: 'agent', assigneeId: 'agent-1', assignedAt },
          { ifState: ['waiting'], ifAssignee: null },
        );
        expect(claimed).toMatchObject({ state: 'agent', assigneeId: 'agent-1', assignedAt, version: 3 });
        expect(await store.conversations.update(id, { assigneeId: 'agent-2' }, { ifAssignee: null })).toBeNull();
        expect(await store.conversations.update(id, { assigneeId: 'agent-2' }, { ifAssignee: 'agent-3' })).toBeNull();
        const released = await store.conversations.update(
          id,
          { state: 'bot', assigneeId: null, assignedAt: null },
          { ifAssignee: 'agent-1', ifVersion: 3 },
        );
        expect(released).toMatchObject({ state: 'bot', assigneeId: null, assignedAt: null, version: 4 });
        expect(await store.conversations.update(id, { state: 'waiting' }, { ifState: [] })).toBeNull();
      });

      test('two agents claiming one waiting conversation at once: exactly one wins', async () => {
        const { conversation } = await citizen();
        await store.conversations.update(conversation.id, { state: 'waiting', handoffRequestedAt: new Date() });
        const claims = await Promise.all(
          ['agent-a', 'agent-b'].map((agent) =>
            store.conversations.update(conversation.id, { state: 'agent', assigneeId: agent, assignedAt: new Date() }, { ifState: ['waiting'] }),
          ),
        );
        const winners = claims.filter((claim) => claim !== null);
        expect(winners).toHaveLength(1);
        expect(await store.conversations.get(conversation.id)).toMatchObject({ state: 'agent', assigneeId: winners[0]!.assigneeId });
      });

      test('a closed conversation cannot be reopened while the contact has another open one', async () => {
        const { contact, conversation } = await citizen();
        await store.conversations.update(conversation.id, { state: 'closed', closedAt: new Date() });
        const current = await store.conversations.open(contact);
        expect(await store.conversations.update(conversation.id, { state: 'bot', closedAt: null })).toBeNull();
        await store.conversations.update(current.id, { state: 'closed', closedAt: new Date() });
        expect(await store.conversations.update(conversation.id, { state: 'bot', closedAt: null })).toMatchObject({ state: 'bot' });
        expect((await store.conversations.open(contact)).id).toBe(conversation.id);
      });

      test('list filters by state, assignee and channel, oldest first, with a limit', async () => {
        const a = await citizen('whatsapp');
        const b = await citizen('whatsapp');
        const c = await citizen('whatsapp');
        await store.conversations.update(a.conversation.id, { state: 'agent', assigneeId: 'list-agent' });
        await store.conversations.update(b.conversation.id, { state: 'waiting' });
        await store.conversations.update(c.conversation.id, { state: 'agent', assigneeId: 'list-agent' });

        const mine = await store.conversations.list({ assigneeId: 'list-agent' });
        expect(mine.map((x) => x.id)).toEqual([a.conversation.id, c.conversation.id]);
        expect((await store.conversations.list({ assigneeId: 'list-agent', limit: 1 })).map((x) => x.id)).toEqual([a.conversation.id]);

        const queue = await store.conversations.list({ state: ['waiting', 'agent'], channel: 'whatsapp' });
        const ours = queue.filter((x) => [a, b, c].some((y) => y.conversation.id === x.id)).map((x) => x.id);
        expect(ours).toEqual([a.conversation.id, b.conversation.id, c.conversation.id]);
        expect(queue.every((x) => x.channel === 'whatsapp' && ['waiting', 'agent'].includes(x.state))).toBe(true);
        const ids = queue.map((x) => x.id);
        expect(ids).toEqual([...ids].sort());
        expect(await store.conversations.list({ state: ['waiting'], channel: 'web', assigneeId: 'list-agent' })).toEqual([]);
      });
    });

    describe('messages', () => {
      test('add stores every field; get returns the same message', async () => {
        const c = await citizen();
        const question = await store.messages.add(
          inbound(c, 'syarat ktp apa?', {
            platformMessageId: 'tg-1',
            attachments: [{ kind: 'image', key: 'files/abc.jpg', fileName: 'ktp.jpg', mimeType: 'image/jpeg', size: 1234 }],
          }),
        );
        expect(question.duplicate).toBe(false);
        expect(question.message).toEqual({
          id: expect.any(String),
          conversationId: c.conversation.id,
          contactId: c.contact.id,
          channel: 'telegram',
          direction: 'in',
          author: 'citizen',
          text: 'syarat ktp apa?',
          platformMessageId: 'tg-1',
          attachments: [{ kind: 'image', key: 'files/abc.jpg', fileName: 'ktp.jpg', mimeType: 'image/jpeg', size: 1234 }],
          createdAt: expect.any(Date),
        });
        expect(await store.messages.get(question.message.id)).toEqual(question.message);

        const createdAt = new Date('2026-03-01T02:03:04.005Z');
        const answer = await store.messages.add({
          conversationId: c.conversation.id,
          contactId: c.contact.id,
          channel: 'telegram',
          direction: 'out',
          author: 'bot',
          text: 'Syarat KTP-el: ...',
          kind: 'answer',
          options: [{ label: 'KTP hilang', value: 'ktp hilang' }],
          entry: 'ktp-baru',
          confidence: 0.87,
          replyTo: question.message.id,
          createdAt,
        });
        expect(answer.message).toMatchObject({ kind: 'answer', entry: 'ktp-baru', confidence: 0.87, createdAt });
        expect(await store.messages.get(answer.message.id)).toEqual(answer.message);

        const agent = await store.messages.add({ ...inbound(c, 'Baik, saya bantu'), direction: 'out', author: 'agent', authorId: 'agent-1' });
        expect(await store.messages.get(agent.message.id)).toEqual(agent.message);
        expect(agent.message.authorId).toBe('agent-1');
        expect(await store.messages.get('no-such-message')).toBeNull();
      });

      test('an inbound redelivery (same channel and platform id) is stored once', async () => {
        const c = await citizen();
        const first = await store.messages.add(inbound(c, 'halo', { platformMessageId: 'dup-1' }));
        const again = await store.messages.add(inbound(c, 'halo (redelivered)', { platformMessageId: 'dup-1' }));
        expect(again).toEqual({ duplicate: true, message: first.message });
        const racing = await Promise.all([1, 2, 3].map(() => store.messages.add(inbound(c, 'race', { platformMessageId: 'dup-2' }))));
        expect(racing.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(racing.map((r) => r.message.id)).size).toBe(1);

        const other = await citizen('whatsapp');
        expect((await store.messages.add(inbound(other, 'halo', { platformMessageId: 'dup-1' }))).duplicate).toBe(false);
        const outbound = { ...inbound(c, 'sent'), direction: 'out' as const, author: 'bot' as const, platformMessageId: 'dup-1' };
        expect((await store.messages.add(outbound)).duplicate).toBe(false); // only inbound messages are deduplicated
        expect(await store.messages.list(c.conversation.id)).toHaveLength(3);
      });

      test('list is oldest first (id order) and pages with afterId and limit', async () => {
        const c = await citizen();
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) ids.push((await store.messages.add(inbound(c, `pesan ${i}`))).message.id);
        expect([...ids].sort()).toEqual(ids);
        expect((await store.messages.list(c.conversation.id)).map((m) => m.id)).toEqual(ids);
        expect((await store.messages.list(c.conversation.id, { limit: 3 })).map((m) => m.id)).toEqual(ids.slice(0, 3));
        expect((await store.messages.list(c.conversation.id, { afterId: ids[2], limit: 3 })).map((m) => m.id)).toEqual(ids.slice(3, 6));
        expect((await store.messages.list(c.conversation.id, { afterId: ids[6] }))).toEqual([]);
        expect(await store.messages.list('no-such-conversation')).toEqual([]);
      });

      test('listForContact spans the citizen’s conversations, oldest first', async () => {
        const c = await citizen();
        const first = await store.messages.add(inbound(c, 'percakapan pertama'));
        await store.conversations.update(c.conversation.id, { state: 'closed', closedAt: new Date() });
        const next = await store.conversations.open(c.contact);
        const second = await store.messages.add(inbound({ contact: c.contact, conversation: next }, 'percakapan kedua'));
        const third = await store.messages.add(inbound({ contact: c.contact, conversation: next }, 'lagi'));
        const history = await store.messages.listForContact(c.contact.id);
        expect(history.map((m) => m.id)).toEqual([first.message.id, second.message.id, third.message.id]);
        expect(new Set(history.map((m) => m.conversationId))).toEqual(new Set([c.conversation.id, next.id]));
        const page = await store.messages.listForContact(c.contact.id, { afterId: first.message.id, limit: 1 });
        expect(page.map((m) => m.id)).toEqual([second.message.id]);
      });

      test('unhandled lists inbound messages not yet marked handled, oldest first', async () => {
        const before = new Set((await store.messages.unhandled()).map((m) => m.id));
        const c = await citizen();
        const a = (await store.messages.add(inbound(c, 'satu'))).message;
        const b = (await store.messages.add(inbound(c, 'dua'))).message;
        await store.messages.add({ ...inbound(c, 'balasan'), direction: 'out', author: 'bot' });
        const d = (await store.messages.add(inbound(c, 'tiga'))).message;
        const fresh = async () => (await store.messages.unhandled()).filter((m) => !before.has(m.id)).map((m) => m.id);
        expect(await fresh()).toEqual([a.id, b.id, d.id]);

        const handledAt = new Date('2026-05-05T05:05:05.005Z');
        await store.messages.markHandled(b.id, handledAt);
        await store.messages.markHandled(a.id);
        expect(await fresh()).toEqual([d.id]);
        expect((await store.messages.get(b.id))!.handledAt).toEqual(handledAt);
        expect((await store.messages.get(a.id))!.handledAt).toBeInstanceOf(Date);
        const limited = await store.messages.unhandled(1);
        expect(limited).toHaveLength(1);
        await store.messages.markHandled(d.id);
        await store.messages.markHandled('no-such-message'); // no error
        expect(await fresh()).toEqual([]);
      });
    });

    describe('tickets', () => {
      test('numbers run ADU-YYYY-NNNNNN per year of createdAt, starting at 000001', async () => {
        const c = await citizen();
        const numbers: string[] = [];
        for (const createdAt of [utc(2026, 2), utc(2026, 3), utc(2027, 1), utc(2026, 12, 31), utc(2027, 6)]) {
          numbers.push((await store.tickets.create(complaint(c, { createdAt }))).number);
        }
        expect(numbers).toEqual(['ADU-2026-000001', 'ADU-2026-000002', 'ADU-2027-000001', 'ADU-2026-000003', 'ADU-2027-000002']);
      });

      test('a new ticket: status baru, created event by the citizen, fields round-trip', async () => {
        const c = await citizen();
        const createdAt = utc(2030, 4, 2);
        const ticket = await store.tickets.create(
          complaint(c, {
            createdAt,
            kecamatan: 'Palu Barat',
            kelurahan: 'Ujuna',
            reporterName: 'Rahmat',
            reporterPhone: '+6281299999',
            priority: 'tinggi',
            attachments: [{ kind: 'document', key: 'files/surat.pdf', mimeType: 'application/pdf' }],
          }),
        );
        expect(ticket).toEqual({
          id: expect.any(String),
          number: 'ADU-2030-000001',
          year: 2030,
          seq: 1,
          contactId: c.contact.id,
          conversationId: c.conversation.id,
          channel: 'telegram',
          category: 'pelayanan',
          description: 'Antrean terlalu lama di loket KTP',
          kecamatan: 'Palu Barat',
          kelurahan: 'Ujuna',
          reporterName: 'Rahmat',
          reporterPhone: '+6281299999',
          attachments: [{ kind: 'document', key: 'files/surat.pdf', mimeType: 'application/pdf' }],
          status: 'baru',
          priority: 'tinggi',
          assigneeId: null,
          dueAt: null,
          escalatedAt: null,
          events: [{ at: createdAt, actor: 'citizen', type: 'created' }],
          createdAt,
          updatedAt: createdAt,
        });
        expect(await store.tickets.get(ticket.id)).toEqual(ticket);
        expect(await store.tickets.byNumber('ADU-2030-000001')).toEqual(ticket);
        expect(await store.tickets.get('no-such-ticket')).toBeNull();
        expect(await store.tickets.byNumber('ADU-2030-999999')).toBeNull();

        const plain = await store.tickets.create(complaint(c, { createdAt: utc(2030, 5) }));
        expect(plain).toMatchObject({ priority: 'normal', attachments: [], assigneeId: null, number: 'ADU-2030-000002' });
        expect(plain.kecamatan).toBeUndefined();
        expect(plain.sourceMessageId).toBeUndefined();
      });

      test('50 concurrent create() calls get 50 distinct, contiguous numbers', async () => {
        const c = await citizen();
        const tickets = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.tickets.create(complaint(c, { description: `serentak ${i}`, createdAt: utc(2028, 3) }))),
        );
        expect(tickets.map((t) => t.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(new Set(tickets.map((t) => t.number)).size).toBe(50);
        expect(tickets.every((t) => t.number === `ADU-2028-${String(t.seq).padStart(6, '0')}`)).toBe(true);
      });

      test('creation is idempotent per source message, even when repeated concurrently, and burns no number', async () => {
        const c = await citizen();
        const source = (await store.messages.add(inbound(c, 'ya, kirim pengaduan', { platformMessageId: 'confirm-1' }))).message;
        const input = complaint(c, { sourceMessageId: source.id, createdAt: utc(2029, 8) });
        const first = await store.tickets.create(input);
        expect(first.sourceMessageId).toBe(source.id);
        expect(await store.tickets.create({ ...input, description: 'retry' })).toEqual(first);

        const other = (await store.messages.add(inbound(c, 'ya', { platformMessageId: 'confirm-2' }))).message;
        const racing = await Promise.all([1, 2, 3, 4].map(() => store.tickets.create({ ...input, sourceMessageId: other.id })));
        expect(new Set(racing.map((t) => t.id)).size).toBe(1);
        expect(racing[0]!.number).toBe('ADU-2029-000002');
        expect((await store.tickets.create(complaint(c, { createdAt: utc(2029, 9) }))).number).toBe('ADU-2029-000003');
      });

      test('update applies the patch and appends the event; a status change records from/to', async () => {
        const c = await citizen();
        const ticket = await store.tickets.create(complaint(c, { createdAt: utc(2031) }));
        const at = new Date('2031-02-01T00:00:00.000Z');
        const before = Date.now();
        const processing = await store.tickets.update(ticket.id, { status: 'diproses', assigneeId: 'agent-7' }, { actor: 'agent-7', type: 'status', at });
        expect(processing).toMatchObject({ status: 'diproses', assigneeId: 'agent-7' });
        expect(processing!.events).toEqual([
          { at: ticket.createdAt, actor: 'citizen', type: 'created' },
          { at, actor: 'agent-7', type: 'status', from: 'baru', to: 'diproses' },
        ]);
        expect(processing!.updatedAt.getTime()).toBeGreaterThanOrEqual(before); // the time of the write, not the event's

        const noted = await store.tickets.update(
          ticket.id,
          { priority: 'tinggi', category: 'pungli', kecamatan: 'Tatanga', kelurahan: 'Palupi' },
          { actor: 'agent-7', type: 'note', note: 'Warga menyebut ada pungutan' },
        );
        expect(noted).toMatchObject({ status: 'diproses', priority: 'tinggi', category: 'pungli', kecamatan: 'Tatanga', kelurahan: 'Palupi' });
        expect(noted!.events).toHaveLength(3);
        expect(noted!.events[2]).toEqual({ at: expect.any(Date), actor: 'agent-7', type: 'note', note: 'Warga menyebut ada pungutan' });

        const unassigned = await store.tickets.update(ticket.id, { assigneeId: null }, { actor: 'system', type: 'assigned' });
        expect(unassigned!.assigneeId).toBeNull();
        expect(await store.tickets.get(ticket.id)).toEqual(unassigned);
        expect(await store.tickets.update('no-such-ticket', { status: 'selesai' }, { actor: 'x', type: 'status' })).toBeNull();
      });

      test('concurrent status changes each record the status they really replaced', async () => {
        const c = await citizen();
        const ticket = await store.tickets.create(complaint(c, { createdAt: utc(2031, 6) }));
        await Promise.all(
          (['diproses', 'menunggu_warga', 'selesai'] as const).map((status) =>
            store.tickets.update(ticket.id, { status }, { actor: 'agent', type: 'status' }),
          ),
        );
        const { events, status } = (await store.tickets.get(ticket.id))!;
        const changes = events.filter((e) => e.type === 'status');
        expect(changes).toHaveLength(3);
        expect(changes[0]!.from).toBe('baru');
        for (let i = 1; i < changes.length; i++) expect(changes[i]!.from).toBe(changes[i - 1]!.to);
        expect(changes[2]!.to).toBe(status);
      });

      test('addAttachments appends files and an attachment event', async () => {
        const c = await citizen();
        const ticket = await store.tickets.create(
          complaint(c, { createdAt: utc(2031, 7), attachments: [{ kind: 'image', key: 'files/1.jpg' }] }),
        );
        const updated = await store.tickets.addAttachments(
          ticket.id,
          [{ kind: 'image', key: 'files/2.jpg', fileName: 'antrean.jpg' }, { kind: 'video', key: 'files/3.mp4' }],
          'citizen',
        );
        expect(updated!.attachments).toEqual([
          { kind: 'image', key: 'files/1.jpg' },
          { kind: 'image', key: 'files/2.jpg', fileName: 'antrean.jpg' },
          { kind: 'video', key: 'files/3.mp4' },
        ]);
        expect(updated!.events.at(-1)).toMatchObject({ actor: 'citizen', type: 'attachment', at: expect.any(Date) });
        expect(await store.tickets.get(ticket.id)).toEqual(updated);
        expect(await store.tickets.addAttachments('no-such-ticket', [], 'citizen')).toBeNull();
      });

      test('list filters by status and contact, newest first, with a limit', async () => {
        const c = await citizen();
        const made: Ticket[] = [];
        for (let i = 0; i < 4; i++) made.push(await store.tickets.create(complaint(c, { createdAt: utc(2032, i + 1) })));
        await store.tickets.update(made[1]!.id, { status: 'selesai' }, { actor: 'agent', type: 'status' });
        const mine = await store.tickets.list({ contactId: c.contact.id });
        expect(mine.map((t) => t.id)).toEqual(made.map((t) => t.id).reverse());
        expect((await store.tickets.list({ contactId: c.contact.id, limit: 2 })).map((t) => t.id)).toEqual([made[3]!.id, made[2]!.id]);
        expect((await store.tickets.list({ contactId: c.contact.id, status: ['selesai'] })).map((t) => t.id)).toEqual([made[1]!.id]);
        const open = await store.tickets.list({ status: ['baru', 'diproses'] });
        expect(open.every((t) => t.status === 'baru' || t.status === 'diproses')).toBe(true);
        expect(open.some((t) => t.id === made[0]!.id)).toBe(true);
      });
    });

    describe('knowledge', () => {
      test('publish numbers versions per entry and bumps the revision; published() has the latest of each', async () => {
        const revision = await store.knowledge.revision();
        expect(await store.knowledge.get('ktp-baru')).toBeNull();
        expect(await store.knowledge.versions('ktp-baru')).toEqual([]);

        const v1 = await store.knowledge.publish(entry('ktp-baru', 'KTP-el baru'), 'seed');
        expect(v1).toEqual({ entryId: 'ktp-baru', version: 1, entry: entry('ktp-baru', 'KTP-el baru'), by: 'seed', at: expect.any(Date) });
        await store.knowledge.publish(entry('akta-kelahiran', 'Akta kelahiran'), 'seed');
        const v2 = await store.knowledge.publish(entry('ktp-baru', 'KTP-el baru (revisi)'), 'admin-1', 'perbarui syarat');
        expect(v2).toMatchObject({ entryId: 'ktp-baru', version: 2, by: 'admin-1', note: 'perbarui syarat' });
        expect(await store.knowledge.revision()).toBe(revision + 3);

        expect(await store.knowledge.get('ktp-baru')).toEqual(v2);
        expect((await store.knowledge.versions('ktp-baru')).map((v) => [v.version, v.entry.title])).toEqual([
          [2, 'KTP-el baru (revisi)'],
          [1, 'KTP-el baru'],
        ]);
        expect(await store.knowledge.published()).toEqual([entry('akta-kelahiran', 'Akta kelahiran'), entry('ktp-baru', 'KTP-el baru (revisi)')]);
      });

      test('concurrent publishes of one entry get distinct consecutive versions', async () => {
        const revision = await store.knowledge.revision();
        const results = await Promise.all([1, 2, 3, 4, 5].map((i) => store.knowledge.publish(entry('kk-baru', `KK ${i}`), `admin-${i}`)));
        expect(results.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5]);
        expect(await store.knowledge.revision()).toBe(revision + 5);
        expect((await store.knowledge.versions('kk-baru')).map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
      });
    });

    describe('turns', () => {
      test('a committed turn travels with the conversation update and its replies are stored once', async () => {
        const c = await citizen();
        const question = (await store.messages.add(inbound(c, 'syarat kia?'))).message;
        const reply = {
          id: `${question.id}-01`,
          conversationId: c.conversation.id,
          contactId: c.contact.id,
          channel: 'telegram' as const,
          direction: 'out' as const,
          author: 'bot' as const,
          text: 'Syarat KIA: ...',
          kind: 'answer' as const,
          entry: 'kia',
          replyTo: question.id,
          createdAt: new Date('2026-05-01T00:00:00.001Z'),
        };
        const updated = await store.conversations.update(
          c.conversation.id,
          { memory: { lastEntry: 'kia' }, lastTurn: { inboundId: question.id, replies: [reply] } },
          { ifVersion: c.conversation.version },
        );
        expect(updated!.lastTurn).toEqual({ inboundId: question.id, replies: [reply] });
        expect((await store.conversations.get(c.conversation.id))!.lastTurn).toEqual({ inboundId: question.id, replies: [reply] });

        const first = await store.messages.add(reply);
        expect(first.duplicate).toBe(false);
        const again = await store.messages.add(reply);
        expect(again).toEqual({ duplicate: true, message: first.message });
        const ids = (await store.messages.list(c.conversation.id)).map((m) => m.id);
        expect(ids).toEqual([question.id, reply.id]);
      });
    });

    describe('files', () => {
      test('stores bytes with their type and name', async () => {
        const data = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x10, 0x4a]);
        const key = await store.files.put(data, { fileName: 'bukti.jpg', mimeType: 'image/jpeg' });
        const file = await store.files.get(key);
        expect(file).toEqual({ key, fileName: 'bukti.jpg', mimeType: 'image/jpeg', size: data.length, data, createdAt: expect.any(Date) });
        expect(await store.files.get('no-such-file')).toBeNull();
      });
    });

    describe('settings', () => {
      test('values round-trip as JSON and can be replaced', async () => {
        expect(await store.settings.get('office')).toBeNull();
        const value = { greeting: 'Selamat datang', hours: [{ days: ['mon'], open: '08:00' }], enabled: true, limit: 3 };
        await store.settings.put('office', value);
        expect(await store.settings.get('office')).toEqual(value);
        await store.settings.put('office', 'ganti');
        expect(await store.settings.get<string>('office')).toBe('ganti');
        await store.settings.put('counter', 0);
        expect(await store.settings.get('counter')).toBe(0);
      });
    });

    describe('message delivery', () => {
      const outbound = (c: { contact: Contact; conversation: Conversation }, text: string): NewMessage => ({
        ...inbound(c, text),
        direction: 'out',
        author: 'bot',
      });

      test('setDelivery replaces the state; it round-trips with its dates', async () => {
        const c = await citizen();
        const reply = (await store.messages.add(outbound(c, 'Syarat KTP-el: ...'))).message;
        expect(reply.delivery).toBeUndefined();

        const pending: DeliveryState = { status: 'pending', attempts: 0, sentParts: 0, platformMessageIds: [], updatedAt: new Date('2026-05-01T00:00:00.001Z') };
        await store.messages.setDelivery(reply.id, pending);
        expect((await store.messages.get(reply.id))!.delivery).toEqual(pending);

        const sent: DeliveryState = {
          status: 'sent',
          attempts: 2,
          sentParts: 2,
          platformMessageIds: ['tg-101', 'tg-102'],
          lastError: 'ETIMEDOUT',
          sentAt: new Date('2026-05-01T00:00:03.003Z'),
          updatedAt: new Date('2026-05-01T00:00:03.004Z'),
        };
        await store.messages.setDelivery(reply.id, sent);
        expect((await store.messages.get(reply.id))!.delivery).toEqual(sent);
        expect((await store.messages.list(c.conversation.id)).find((m) => m.id === reply.id)!.delivery).toEqual(sent);
        await store.messages.setDelivery('no-such-message', pending); // no error

        // A message stored with a delivery state keeps it (an agent's reply queued as it is written).
        const queued = (await store.messages.add({ ...outbound(c, 'Balasan petugas'), author: 'agent', authorId: 'u1', delivery: pending })).message;
        expect(queued.delivery).toEqual(pending);
        expect((await store.messages.get(queued.id))!.delivery).toEqual(pending);
      });

      test('failedDeliveries lists only failed deliveries, newest first, with a limit', async () => {
        const c = await citizen();
        const state = (status: DeliveryState['status']): DeliveryState => ({
          status, attempts: 6, sentParts: 0, platformMessageIds: [], lastError: 'Forbidden: bot was blocked by the user', updatedAt: new Date(),
        });
        const ids: string[] = [];
        for (const status of ['failed', 'sent', 'failed', 'pending', 'failed'] as const) {
          const m = (await store.messages.add(outbound(c, `balasan ${status}`))).message;
          await store.messages.setDelivery(m.id, state(status));
          if (status === 'failed') ids.push(m.id);
        }
        await store.messages.add(outbound(c, 'tanpa delivery'));
        const mine = (list: Message[]) => list.filter((m) => m.conversationId === c.conversation.id).map((m) => m.id);
        expect(mine(await store.messages.failedDeliveries())).toEqual([...ids].reverse());
        expect((await store.messages.failedDeliveries(2)).map((m) => m.id)).toEqual([ids[2], ids[1]]);
        expect((await store.messages.failedDeliveries())[0]!.delivery).toMatchObject({ status: 'failed', lastError: 'Forbidden: bot was blocked by the user' });

        // A failed message that is delivered after all leaves the list.
        await store.messages.setDelivery(ids[2]!, state('sent'));
        expect(mine(await store.messages.failedDeliveries())).toEqual([ids[1], ids[0]]);
      });
    });

    describe('jobs', () => {
      let queues = 0;
      /** A queue name of its own per test: the tests share one database. */
      const freshQueue = () => `test-${engine.name}-${++queues}-${Date.now()}`;
      const later = (date: Date, ms: number) => new Date(date.getTime() + ms);

      test('add fills in defaults and is idempotent by id', async () => {
        const queue = freshQueue();
        const first = await store.jobs.add({ id: `${queue}:a`, queue, data: { messageId: 'm1', to: '42' } });
        expect(first).toEqual({
          id: `${queue}:a`,
          queue,
          data: { messageId: 'm1', to: '42' },
          status: 'waiting',
          attempts: 0,
          maxAttempts: 5,
          backoffMs: 1000,
          runAt: expect.any(Date),
          leaseUntil: null,
          token: null,
          createdAt: expect.any(Date),
          updatedAt: expect.any(Date),
        });
        const again = await store.jobs.add({ id: `${queue}:a`, queue, data: { messageId: 'other' }, maxAttempts: 9 });
        expect(again).toEqual(first);
        const racing = await Promise.all([1, 2, 3].map((i) => store.jobs.add({ id: `${queue}:b`, queue, data: i })));
        expect(new Set(racing.map((job) => job.data)).size).toBe(1);
        const anonymous = await store.jobs.add({ queue, data: null, maxAttempts: 2, backoffMs: 50, runAt: new Date('2030-01-01T00:00:00Z') });
        expect(anonymous).toMatchObject({ id: expect.any(String), data: null, maxAttempts: 2, backoffMs: 50, runAt: new Date('2030-01-01T00:00:00Z') });
        expect(await store.jobs.get(anonymous.id)).toEqual(anonymous);
        expect(await store.jobs.get('no-such-job')).toBeNull();
        expect(await store.jobs.list({ queue })).toHaveLength(3);
      });

      test('10 concurrent claims of 5 jobs: each job is claimed exactly once', async () => {
        const queue = freshQueue();
        for (let i = 0; i < 5; i++) await store.jobs.add({ id: `${queue}:${i}`, queue, data: i });
        const now = new Date();
        const batches = await Promise.all(Array.from({ length: 10 }, () => store.jobs.claim<number>(queue, { now, leaseMs: 30_000, limit: 1 })));
        const claimed = batches.flat();
        expect(claimed.map((job) => job.id).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${queue}:${i}`));
        expect(new Set(claimed.map((job) => job.token)).size).toBe(5);
        for (const job of claimed) {
          expect(job).toMatchObject({ status: 'active', attempts: 1, leaseUntil: later(now, 30_000), token: expect.any(String) });
          expect(await store.jobs.get(job.id)).toEqual(job);
        }
        expect(await store.jobs.claim(queue, { now, leaseMs: 30_000, limit: 10 })).toEqual([]);
      });

      test('claim takes due jobs only, oldest runAt first, up to the limit, from its own queue', async () => {
        const queue = freshQueue();
        const t0 = new Date('2031-01-01T00:00:00.000Z');
        await store.jobs.add({ id: `${queue}:late`, queue, data: 'late', runAt: later(t0, 3000) });
        await store.jobs.add({ id: `${queue}:second`, queue, data: 'second', runAt: later(t0, 1000) });
        await store.jobs.add({ id: `${queue}:first`, queue, data: 'first', runAt: t0 });
        await store.jobs.add({ id: `${queue}-other:x`, queue: `${queue}-other`, data: 'other', runAt: t0 });
        expect(await store.jobs.claim(queue, { now: later(t0, -1), leaseMs: 1000, limit: 10 })).toEqual([]);
        expect((await store.jobs.claim(queue, { now: later(t0, 2000), leaseMs: 10_000, limit: 1 })).map((job) => job.data)).toEqual(['first']);
        expect((await store.jobs.claim(queue, { now: later(t0, 2000), leaseMs: 10_000, limit: 10 })).map((job) => job.data)).toEqual(['second']);
        expect(await store.jobs.claim(queue, { now: later(t0, 2999), leaseMs: 10_000, limit: 10 })).toEqual([]);
        expect((await store.jobs.claim(queue, { now: later(t0, 3000), leaseMs: 10_000, limit: 10 })).map((job) => job.data)).toEqual(['late']);
      });

      test('an expired lease is claimed again with a new token; the old holder can no longer extend, complete or fail', async () => {
        const queue = freshQueue();
        const t0 = new Date();
        await store.jobs.add({ id: `${queue}:crash`, queue, data: 'x' });
        const [first] = await store.jobs.claim(queue, { now: t0, leaseMs: 1000, limit: 1 });
        expect(await store.jobs.extend(first!.id, first!.token!, later(t0, 2000))).toBe(true);
        expect(await store.jobs.claim(queue, { now: later(t0, 1999), leaseMs: 1000, limit: 1 })).toEqual([]);
        const [second] = await store.jobs.claim(queue, { now: later(t0, 2000), leaseMs: 1000, limit: 1 });
        expect(second).toMatchObject({ id: first!.id, status: 'active', attempts: 2, leaseUntil: later(t0, 3000) });
        expect(second!.token).not.toBe(first!.token);

        expect(await store.jobs.extend(first!.id, first!.token!, later(t0, 9000))).toBe(false);
        expect(await store.jobs.complete(first!.id, first!.token!)).toBe(false);
        expect(await store.jobs.fail(first!.id, first!.token!, 'late', null)).toBe(false);
        expect(await store.jobs.get(first!.id)).toMatchObject({ status: 'active', token: second!.token, leaseUntil: later(t0, 3000) });

        expect(await store.jobs.extend(second!.id, second!.token!, later(t0, 5000))).toBe(true);
        const finishedAt = new Date('2031-02-03T04:05:06.007Z');
        expect(await store.jobs.complete(second!.id, second!.token!, finishedAt)).toBe(true);
        expect(await store.jobs.get(second!.id)).toMatchObject({ status: 'completed', token: null, leaseUntil: null, finishedAt, attempts: 2 });
        expect(await store.jobs.complete(second!.id, second!.token!)).toBe(false);
        expect(await store.jobs.claim(queue, { now: later(t0, 60_000), leaseMs: 1000, limit: 1 })).toEqual([]);
      });

      test('fail with retryAt puts the job back to wait until then; with null it fails for good; retry() revives a failed job', async () => {
        const queue = freshQueue();
        const t0 = new Date();
        await store.jobs.add({ id: `${queue}:flaky`, queue, data: 'x', maxAttempts: 2 });
        const [attempt1] = await store.jobs.claim(queue, { now: t0, leaseMs: 1000, limit: 1 });
        const retryAt = later(t0, 5000);
        expect(await store.jobs.fail(attempt1!.id, attempt1!.token!, 'ECONNRESET', retryAt)).toBe(true);
        expect(await store.jobs.get(attempt1!.id)).toMatchObject({ status: 'waiting', runAt: retryAt, lastError: 'ECONNRESET', token: null, leaseUntil: null, attempts: 1 });
        expect(await store.jobs.claim(queue, { now: later(t0, 4999), leaseMs: 1000, limit: 1 })).toEqual([]);
        const [attempt2] = await store.jobs.claim(queue, { now: retryAt, leaseMs: 1000, limit: 1 });
        expect(attempt2).toMatchObject({ attempts: 2, status: 'active' });
        expect(await store.jobs.fail(attempt2!.id, attempt2!.token!, 'Forbidden: bot was blocked by the user', null)).toBe(true);
        const failed = await store.jobs.get(attempt2!.id);
        expect(failed).toMatchObject({ status: 'failed', lastError: 'Forbidden: bot was blocked by the user', token: null, leaseUntil: null, finishedAt: expect.any(Date) });
        expect(await store.jobs.claim(queue, { now: later(t0, 60_000), leaseMs: 1000, limit: 1 })).toEqual([]);
        expect(await store.jobs.fail(attempt2!.id, attempt2!.token!, 'again', null)).toBe(false);

        const now = later(t0, 70_000);
        expect(await store.jobs.retry(attempt2!.id, now)).toBe(true);
        expect(await store.jobs.get(attempt2!.id)).toMatchObject({ status: 'waiting', attempts: 0, runAt: now });
        expect((await store.jobs.get(attempt2!.id))!.finishedAt).toBeUndefined();
        expect(await store.jobs.retry(attempt2!.id)).toBe(false); // not failed any more
        expect(await store.jobs.retry('no-such-job')).toBe(false);
        expect((await store.jobs.claim(queue, { now, leaseMs: 1000, limit: 1 })).map((job) => job.attempts)).toEqual([1]);
      });

      test('counts per status (delayed = waiting but not yet due); list is newest first with filters', async () => {
        const queue = freshQueue();
        expect(await store.jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 });
        const now = new Date();
        const ids = Array.from({ length: 6 }, (_, i) => `${queue}:${i}`);
        for (const [i, id] of ids.entries()) {
          await store.jobs.add({ id, queue, data: i, runAt: i === 5 ? later(now, 60_000) : now });
          await new Promise((resolve) => setTimeout(resolve, 2)); // distinct createdAt
        }
        const [a, b, c] = await store.jobs.claim(queue, { now: later(now, 10), leaseMs: 30_000, limit: 3 });
        await store.jobs.complete(a!.id, a!.token!);
        await store.jobs.fail(b!.id, b!.token!, 'boom', null);
        expect(c!.status).toBe('active');
        expect(await store.jobs.counts(queue, later(now, 10))).toEqual({ waiting: 2, active: 1, completed: 1, failed: 1, delayed: 1 });
        expect(await store.jobs.counts(queue, later(now, 60_000))).toMatchObject({ waiting: 3, delayed: 0 });

        expect((await store.jobs.list({ queue })).map((job) => job.id)).toEqual([...ids].reverse());
        expect((await store.jobs.list({ queue, limit: 2 })).map((job) => job.id)).toEqual([ids[5], ids[4]]);
        expect((await store.jobs.list({ queue, status: ['failed', 'completed'] })).map((job) => job.id)).toEqual([b!.id, a!.id]);
        expect((await store.jobs.list({ status: ['failed'] })).map((job) => job.id)).toContain(b!.id);
      });
    });

    describe('keyValue', () => {
      test('batch get/set, null deletes, keys, clear; namespaces are isolated', async () => {
        const ns = `wa-keys-${engine.name}`;
        const other = `${ns}-other`;
        expect(await store.keyValue.get(ns, ['a'])).toEqual({});
        await store.keyValue.set(ns, { 'pre-key:1': 'AAA', 'pre-key:2': 'BBB', 'session:628': '{"x":1}' });
        await store.keyValue.set(other, { 'pre-key:1': 'OTHER' });
        expect(await store.keyValue.get(ns, ['pre-key:1', 'pre-key:2', 'pre-key:3'])).toEqual({ 'pre-key:1': 'AAA', 'pre-key:2': 'BBB' });
        await store.keyValue.set(ns, { 'pre-key:1': null, 'pre-key:2': 'BBB2', 'pre-key:4': 'DDD', 'never-set': null });
        expect(await store.keyValue.get(ns, ['pre-key:1', 'pre-key:2', 'pre-key:4'])).toEqual({ 'pre-key:2': 'BBB2', 'pre-key:4': 'DDD' });
        expect(await store.keyValue.keys(ns)).toEqual(['pre-key:2', 'pre-key:4', 'session:628']);
        expect(await store.keyValue.get(ns, [])).toEqual({});
        await store.keyValue.set(ns, {});
        const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, `v${i}`]));
        await store.keyValue.set(`${ns}-many`, many);
        expect(await store.keyValue.get(`${ns}-many`, Object.keys(many))).toEqual(many);

        await store.keyValue.clear(ns);
        expect(await store.keyValue.keys(ns)).toEqual([]);
        expect(await store.keyValue.get(other, ['pre-key:1'])).toEqual({ 'pre-key:1': 'OTHER' });
      });
    });

    describe('users', () => {
      const newUser = (username: string, extra: Partial<NewUser> = {}): NewUser => ({
        username, displayName: 'Petugas', role: 'agent', passwordHash: 'scrypt$abc$def', ...extra,
      });

      test('create, byUsername (case-insensitive), DuplicateError, update, list oldest first, count', async () => {
        const before = await store.users.count();
        const admin = await store.users.create(newUser('Admin.Palu', { role: 'admin', displayName: 'Admin Palu' }));
        expect(admin).toEqual({
          id: expect.any(String),
          username: 'admin.palu',
          displayName: 'Admin Palu',
          role: 'admin',
          passwordHash: 'scrypt$abc$def',
          totpSecret: null,
          disabled: false,
          failedLogins: 0,
          lockedUntil: null,
          lastLoginAt: null,
          capacity: 5,
          createdAt: expect.any(Date),
          updatedAt: expect.any(Date),
        });
        expect(await store.users.get(admin.id)).toEqual(admin);
        expect(await store.users.byUsername('ADMIN.palu')).toEqual(admin);
        expect(await store.users.byUsername('nobody')).toBeNull();
        await expect(store.users.create(newUser('admin.PALU'))).rejects.toBeInstanceOf(DuplicateError);
        const racing = await Promise.allSettled([1, 2, 3].map(() => store.users.create(newUser('Siti'))));
        expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(racing.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof DuplicateError)).toBe(true);

        const lockedUntil = new Date('2026-06-01T01:02:03.004Z');
        const updated = await store.users.update(admin.id, { failedLogins: 3, lockedUntil, totpSecret: 'enc:xyz', disabled: true, role: 'supervisor' });
        expect(updated).toEqual({ ...admin, failedLogins: 3, lockedUntil, totpSecret: 'enc:xyz', disabled: true, role: 'supervisor', updatedAt: expect.any(Date) });
        expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(admin.updatedAt.getTime());
        expect(await store.users.get(admin.id)).toEqual(updated);
        expect(await store.users.update(admin.id, { lockedUntil: null, disabled: false })).toMatchObject({ lockedUntil: null, disabled: false });
        expect(await store.users.update('no-such-user', { failedLogins: 1 })).toBeNull();

        const agent = await store.users.create(newUser('budi'));
        const listed = (await store.users.list()).map((u) => u.username);
        expect(listed.slice(-3)).toEqual(['admin.palu', 'siti', 'budi']);
        expect(await store.users.count()).toBe(before + 3);
        expect(agent.role).toBe('agent');
      });
    });

    describe('sessions', () => {
      test('create, get, update, delete, deleteForUser', async () => {
        const at = new Date('2026-06-01T00:00:00.000Z');
        const session = (id: string, userId: string): Session => ({
          id, userId, csrfToken: `csrf-${id}`, pendingTotp: true, createdAt: at, lastSeenAt: at, expiresAt: new Date('2099-01-01T00:00:00.000Z'),
        });
        const s1 = session(`${engine.name}-s1`, 'user-1');
        expect(await store.sessions.create(s1)).toEqual(s1);
        await store.sessions.create(session(`${engine.name}-s2`, 'user-1'));
        await store.sessions.create(session(`${engine.name}-s3`, 'user-2'));
        expect(await store.sessions.get(s1.id)).toEqual(s1);
        expect(await store.sessions.get('no-such-session')).toBeNull();

        const lastSeenAt = new Date('2026-06-01T00:10:00.000Z');
        const updated = await store.sessions.update(s1.id, { pendingTotp: false, lastSeenAt, csrfToken: 'rotated' });
        expect(updated).toEqual({ ...s1, pendingTotp: false, lastSeenAt, csrfToken: 'rotated' });
        expect(await store.sessions.get(s1.id)).toEqual(updated);
        expect(await store.sessions.update('no-such-session', { lastSeenAt })).toBeNull();

        await store.sessions.delete(`${engine.name}-s2`);
        expect(await store.sessions.get(`${engine.name}-s2`)).toBeNull();
        await store.sessions.create(session(`${engine.name}-s4`, 'user-1'));
        await store.sessions.deleteForUser('user-1');
        expect(await store.sessions.get(s1.id)).toBeNull();
        expect(await store.sessions.get(`${engine.name}-s4`)).toBeNull();
        expect(await store.sessions.get(`${engine.name}-s3`)).not.toBeNull();
      });
    });

    describe('inbox: contacts.findByPhone', () => {
      test('matches the given phone and WhatsApp numbers by digits; 0… is compared as 62…', async () => {
        const wa = await store.contacts.upsert('whatsapp', '6285298765432@s.whatsapp.net');
        const device = await store.contacts.upsert('whatsapp', '6285298765433:12@s.whatsapp.net');
        await store.contacts.upsert('whatsapp', '85298765434000@lid'); // a WhatsApp LID is not a number
        const telegram = (await store.contacts.update((await store.contacts.upsert('telegram', 'fbp-1')).id, { phone: '0852-9876-1111' }))!;
        const web = (await store.contacts.update((await store.contacts.upsert('web', 'fbp-2')).id, { phone: '+62 852 9876 2222' }))!;
        const ids = async (digits: string, limit?: number) => (await store.contacts.findByPhone(digits, limit)).map((c) => c.id);

        // "0852987" is 62852987… in canonical form: every number above, the LID excepted.
        expect(new Set(await ids('0852987'))).toEqual(new Set([wa.id, device.id, telegram.id, web.id]));
        expect(await ids('085298765432')).toEqual([wa.id]);
        expect(await ids('6285298765432')).toEqual([wa.id]);
        expect(await ids('+62 852-9876-5432')).toEqual([wa.id]);
        expect(await ids('98765433')).toEqual([device.id]); // any fragment
        expect(await ids('0852 9876 1111')).toEqual([telegram.id]);
        expect(await ids('98762222')).toEqual([web.id]);
        expect(await ids('85298765434000')).toEqual([]);
        expect(await ids('52')).toEqual([]); // fewer than 3 digits find nothing
        expect(await ids('budi')).toEqual([]);
        expect(await store.contacts.findByPhone('0852987')).toContainEqual(telegram); // plain contacts, nothing internal

        // The most recently seen first, with a limit; a changed phone is found by its new number only.
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.contacts.upsert('whatsapp', '6285298765433:12@s.whatsapp.net');
        expect(await ids('0852987', 1)).toEqual([device.id]);
        await store.contacts.update(telegram.id, { phone: '081377770000' });
        expect(await ids('98761111')).toEqual([]);
        expect(await ids('0813777700')).toEqual([telegram.id]);
      });
    });

    describe('inbox: conversations', () => {
      test('labels are stored lower case, each once, and patchable; a new conversation has none', async () => {
        const { conversation } = await citizen();
        expect(conversation.labels).toEqual([]);
        const labelled = await store.conversations.update(conversation.id, { labels: [' Mendesak', 'pindah', 'MENDESAK', ''] });
        expect(labelled).toMatchObject({ labels: ['mendesak', 'pindah'], version: 2 });
        expect(await store.conversations.get(conversation.id)).toEqual(labelled);
        expect((await store.conversations.update(conversation.id, { labels: [] }))!.labels).toEqual([]);
      });

      test('list by label, in creation order or latest activity first; labels can be removed', async () => {
        const [a, b, c] = [await citizen(), await citizen(), await citizen()];
        const at = (minute: number) => new Date(Date.UTC(2036, 0, 1, 8, minute));
        await store.conversations.update(a.conversation.id, { labels: ['Label-Mendesak', 'label-pindah'], lastMessageAt: at(1) });
        await store.conversations.update(b.conversation.id, { labels: ['label-mendesak'], lastMessageAt: at(3), state: 'waiting' });
        await store.conversations.update(c.conversation.id, { labels: ['label-pindah'], lastMessageAt: at(2) });
        const ids = async (filter: Parameters<Store['conversations']['list']>[0]) => (await store.conversations.list(filter)).map((x) => x.id);

        expect(await ids({ label: 'label-mendesak' })).toEqual([a.conversation.id, b.conversation.id]);
        expect(await ids({ label: 'LABEL-MENDESAK', order: 'recent' })).toEqual([b.conversation.id, a.conversation.id]);
        expect(await ids({ label: 'label-pindah', order: 'recent' })).toEqual([c.conversation.id, a.conversation.id]);
        expect(await ids({ label: 'label-pindah', order: 'oldest', limit: 1 })).toEqual([a.conversation.id]);
        expect(await ids({ label: 'label-mendesak', state: ['waiting'] })).toEqual([b.conversation.id]);
        expect(await ids({ label: 'label-tidak-ada' })).toEqual([]);

        await store.conversations.update(a.conversation.id, { labels: ['label-pindah'] });
        expect(await ids({ label: 'label-mendesak' })).toEqual([b.conversation.id]);
        expect(await ids({ label: 'label-pindah' })).toEqual([a.conversation.id, c.conversation.id]);
      });

      test('order recent: latest activity first across the filter, with a limit', async () => {
        const made = [await citizen('web'), await citizen('web'), await citizen('web')];
        const at = (minute: number) => new Date(Date.UTC(2037, 0, 1, 8, minute));
        for (const [i, minute] of [5, 9, 7].entries()) {
          await store.conversations.update(made[i]!.conversation.id, { state: 'agent', assigneeId: `recent-agent-${engine.name}`, lastMessageAt: at(minute) });
        }
        const recent = await store.conversations.list({ assigneeId: `recent-agent-${engine.name}`, order: 'recent' });
        expect(recent.map((x) => x.id)).toEqual([made[1]!.conversation.id, made[2]!.conversation.id, made[0]!.conversation.id]);
        const times = (await store.conversations.list({ state: ['agent'], order: 'recent' })).map((x) => x.lastMessageAt.getTime());
        expect(times).toEqual([...times].sort((x, y) => y - x));
        expect((await store.conversations.list({ assigneeId: `recent-agent-${engine.name}`, order: 'recent', limit: 2 })).map((x) => x.id)).toEqual([
          made[1]!.conversation.id,
          made[2]!.conversation.id,
        ]);
      });

      test('list by contactIds (an empty list matches nothing)', async () => {
        const a = await citizen();
        const b = await citizen();
        await citizen();
        await store.conversations.update(a.conversation.id, { state: 'closed', closedAt: new Date() });
        const reopened = await store.conversations.open(a.contact);
        const found = await store.conversations.list({ contactIds: [a.contact.id, b.contact.id] });
        expect(found.map((x) => x.id)).toEqual([a.conversation.id, b.conversation.id, reopened.id]);
        expect((await store.conversations.list({ contactIds: [a.contact.id], state: [...OPEN_STATES] })).map((x) => x.id)).toEqual([reopened.id]);
        expect(await store.conversations.list({ contactIds: [] })).toEqual([]);
      });

      test('countByAssignee counts an agent’s conversations in the given states', async () => {
        const agent = `count-agent-${engine.name}`;
        const made = [await citizen(), await citizen(), await citizen(), await citizen()];
        await store.conversations.update(made[0]!.conversation.id, { state: 'agent', assigneeId: agent });
        await store.conversations.update(made[1]!.conversation.id, { state: 'agent', assigneeId: agent });
        await store.conversations.update(made[2]!.conversation.id, { state: 'closed', assigneeId: agent, closedAt: new Date() });
        await store.conversations.update(made[3]!.conversation.id, { state: 'agent', assigneeId: `${agent}-other` });
        expect(await store.conversations.countByAssignee(agent, ['agent'])).toBe(2);
        expect(await store.conversations.countByAssignee(agent, ['agent', 'closed'])).toBe(3);
        expect(await store.conversations.countByAssignee(agent, ['waiting'])).toBe(0);
        expect(await store.conversations.countByAssignee(agent, [])).toBe(0);
        expect(await store.conversations.countByAssignee('nobody', ['agent'])).toBe(0);
      });

      test('lastInboundAt follows the citizen’s messages (never backwards, no version bump) and is patchable', async () => {
        const c = await citizen();
        await store.messages.add({ ...inbound(c, 'balasan bot'), direction: 'out', author: 'bot' });
        expect((await store.conversations.get(c.conversation.id))!.lastInboundAt).toBeNull();
        const t1 = new Date('2036-05-01T01:00:00.000Z');
        const first = (await store.messages.add(inbound(c, 'halo', { createdAt: t1, platformMessageId: 'lia-1' }))).message;
        const after = (await store.conversations.get(c.conversation.id))!;
        expect(after.lastInboundAt).toEqual(first.createdAt);
        expect(after.version).toBe(c.conversation.version); // does not disturb the engine's ifVersion
        await store.messages.add(inbound(c, 'terlambat', { createdAt: new Date('2036-04-30T00:00:00.000Z') }));
        await store.messages.add(inbound(c, 'halo lagi', { platformMessageId: 'lia-1', createdAt: new Date('2036-06-01T00:00:00.000Z') })); // a redelivery
        expect((await store.conversations.get(c.conversation.id))!.lastInboundAt).toEqual(t1);
        const patched = new Date('2036-07-01T00:00:00.000Z');
        expect((await store.conversations.update(c.conversation.id, { lastInboundAt: patched }))!.lastInboundAt).toEqual(patched);
        expect((await store.conversations.update(c.conversation.id, { lastInboundAt: null }))!.lastInboundAt).toBeNull();
      });
    });

    describe('inbox: messages', () => {
      test('search: every word as a case-insensitive substring, newest first; bot replies are not searched', async () => {
        const c = await citizen();
        const say = async (text: string, extra: Partial<NewMessage> = {}) => (await store.messages.add(inbound(c, text, extra))).message.id;
        const lost = await say('Saya KEHILANGAN KTP di pasar Inpres');
        const answer = await say('Untuk KTP hilang: bawa surat kehilangan dari polisi', { direction: 'out', author: 'bot' });
        const numbers = await say('nomor saya 081234567890, tiket ADU-2026-000123');
        const kk = await say('KK saya rusak, RT.05');
        const other = await citizen(); // the search spans conversations
        const elsewhere = (await store.messages.add(inbound(other, 'dompet hilang beserta kk'))).message.id;
        const mine = async (text: string, limit?: number) =>
          (await store.messages.search(text, limit)).map((m) => m.id).filter((id) => [lost, answer, numbers, kk, elsewhere].includes(id));

        expect(await mine('hilang')).toEqual([elsewhere, lost]); // "hilang" inside "KEHILANGAN" too; not the bot's answer
        expect(await mine('HILANG ktp')).toEqual([lost]);
        expect(await mine('polisi')).toEqual([]); // only in the bot's answer
        expect(await mine('hilang, pasar!')).toEqual([lost]); // punctuation around words is ignored
        expect(await mine('4567')).toEqual([numbers]); // part of a phone number
        expect(await mine('000123')).toEqual([numbers]);
        expect(await mine('adu-2026-000123')).toEqual([numbers]);
        expect(await mine('kk')).toEqual([elsewhere, kk]); // words under 3 characters still match
        expect(await mine('kk rusak')).toEqual([kk]);
        expect(await mine('rt.05')).toEqual([kk]); // regex and LIKE characters are literal
        expect(await mine('r.05')).toEqual([]);
        expect(await mine('pasar polisi')).toEqual([]);
        expect(await store.messages.search('   ')).toEqual([]);
        const [found] = await store.messages.search('KEHILANGAN KTP di pasar Inpres', 1);
        expect(found).toEqual(await store.messages.get(lost));
      });

      test('search: the limit keeps the newest', async () => {
        const c = await citizen();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await store.messages.add(inbound(c, `zebracross nomor ${i}`))).message.id);
        expect((await store.messages.search('Zebracross', 3)).map((m) => m.id)).toEqual([ids[4], ids[3], ids[2]]);
        expect((await store.messages.search('zebracross')).map((m) => m.id)).toEqual([...ids].reverse());
      });

      test('countInboundAfter counts the citizen’s messages after a marker', async () => {
        const c = await citizen();
        const other = await citizen();
        const add = async (message: NewMessage) => (await store.messages.add(message)).message.id;
        const in1 = await add(inbound(c, 'satu'));
        const out1 = await add({ ...inbound(c, 'balasan'), direction: 'out', author: 'agent', authorId: 'u1' });
        await add(inbound(c, 'dua'));
        const in3 = await add(inbound(c, 'tiga'));
        await add(inbound(other, 'bukan di sini'));
        expect(await store.messages.countInboundAfter(c.conversation.id, undefined)).toBe(3);
        expect(await store.messages.countInboundAfter(c.conversation.id, in1)).toBe(2);
        expect(await store.messages.countInboundAfter(c.conversation.id, out1)).toBe(2);
        expect(await store.messages.countInboundAfter(c.conversation.id, in3)).toBe(0);
        expect(await store.messages.countInboundAfter('no-such-conversation', undefined)).toBe(0);
      });
    });

    describe('inbox: tickets', () => {
      test('dueAt and escalatedAt: set at creation, patchable, recorded like any update', async () => {
        const c = await citizen();
        const dueAt = new Date('2038-03-04T01:00:00.000Z');
        const ticket = await store.tickets.create(complaint(c, { createdAt: utc(2038), dueAt }));
        expect(ticket).toMatchObject({ dueAt, escalatedAt: null });
        expect(await store.tickets.get(ticket.id)).toEqual(ticket);
        const escalatedAt = new Date('2038-03-05T01:00:00.000Z');
        const escalated = await store.tickets.update(ticket.id, { escalatedAt }, { actor: 'system', type: 'updated', note: 'eskalasi' });
        expect(escalated).toMatchObject({ dueAt, escalatedAt });
        const done = await store.tickets.update(ticket.id, { status: 'selesai', dueAt: null }, { actor: 'agent', type: 'status' });
        expect(done).toMatchObject({ status: 'selesai', dueAt: null, escalatedAt });
        expect(await store.tickets.get(ticket.id)).toEqual(done);
      });

      test('list by conversation and by assignee', async () => {
        const a = await citizen();
        const b = await citizen();
        const t1 = await store.tickets.create(complaint(a, { createdAt: utc(2039, 1) }));
        const t2 = await store.tickets.create(complaint(a, { createdAt: utc(2039, 2) }));
        const t3 = await store.tickets.create(complaint(b, { createdAt: utc(2039, 3) }));
        const agent = `ticket-agent-${engine.name}`;
        await store.tickets.update(t1.id, { assigneeId: agent }, { actor: 'supervisor', type: 'assigned' });
        await store.tickets.update(t3.id, { assigneeId: agent }, { actor: 'supervisor', type: 'assigned' });
        const ids = async (filter: Parameters<Store['tickets']['list']>[0]) => (await store.tickets.list(filter)).map((t) => t.id);
        expect(await ids({ conversationId: a.conversation.id })).toEqual([t2.id, t1.id]);
        expect(await ids({ assigneeId: agent })).toEqual([t3.id, t1.id]);
        expect(await ids({ assigneeId: agent, conversationId: a.conversation.id })).toEqual([t1.id]);
        expect(await ids({ assigneeId: agent, status: ['selesai'] })).toEqual([]);
      });

      test('countByStatus: every status, zeros included, follows creation and status changes', async () => {
        const before = await store.tickets.countByStatus();
        expect(Object.keys(before).sort()).toEqual([...TICKET_STATUSES].sort());
        const c = await citizen();
        const first = await store.tickets.create(complaint(c, { createdAt: utc(2041, 1) }));
        await store.tickets.create(complaint(c, { createdAt: utc(2041, 2) }));
        await store.tickets.update(first.id, { status: 'selesai' }, { actor: 'agent', type: 'status' });
        const after = await store.tickets.countByStatus();
        expect(after.baru - before.baru).toBe(1);
        expect(after.selesai - before.selesai).toBe(1);
        expect(after.diproses - before.diproses).toBe(0);
      });

      test('overdueAt: due before then, not escalated, not selesai/ditutup', async () => {
        const c = await citizen();
        const now = new Date('2040-02-01T00:00:00.000Z');
        const past = new Date('2040-01-15T00:00:00.000Z');
        const make = async (dueAt: Date | null, month: number) => store.tickets.create(complaint(c, { createdAt: utc(2040, 1, month), dueAt }));
        const overdue = await make(past, 1);
        await make(new Date('2040-03-01T00:00:00.000Z'), 2); // due later
        const exactlyNow = await make(now, 3);
        const escalated = await make(past, 4);
        const selesai = await make(past, 5);
        const ditutup = await make(past, 6);
        await make(null, 7); // no due date
        const waiting = await make(past, 8);
        await store.tickets.update(escalated.id, { escalatedAt: now }, { actor: 'system', type: 'updated' });
        await store.tickets.update(selesai.id, { status: 'selesai' }, { actor: 'agent', type: 'status' });
        await store.tickets.update(ditutup.id, { status: 'ditutup' }, { actor: 'agent', type: 'status' });
        await store.tickets.update(waiting.id, { status: 'menunggu_warga' }, { actor: 'agent', type: 'status' });
        const ids = async (filter: Parameters<Store['tickets']['list']>[0]) =>
          (await store.tickets.list({ conversationId: c.conversation.id, ...filter })).map((t) => t.id);

        expect(await ids({ overdueAt: now })).toEqual([waiting.id, overdue.id]);
        expect(await ids({ overdueAt: now, status: ['baru'] })).toEqual([overdue.id]);
        expect(await ids({ overdueAt: now, status: ['selesai'] })).toEqual([]);
        expect(await ids({ overdueAt: new Date('2040-02-01T00:00:00.001Z') })).toEqual([waiting.id, exactlyNow.id, overdue.id]);
        expect(await ids({ overdueAt: now, limit: 1 })).toEqual([waiting.id]);
      });
    });

    describe('inbox: users', () => {
      test('capacity: 5 unless given, patchable, a whole number ≥ 0', async () => {
        const base = { displayName: 'Petugas', role: 'agent' as const, passwordHash: 'scrypt$x$y' };
        const plain = await store.users.create({ ...base, username: `cap-default-${engine.name}` });
        expect(plain.capacity).toBe(5);
        const small = await store.users.create({ ...base, username: `cap-two-${engine.name}`, capacity: 2 });
        expect(small.capacity).toBe(2);
        expect(await store.users.get(small.id)).toEqual(small);
        expect((await store.users.update(small.id, { capacity: 8 }))!.capacity).toBe(8);
        expect((await store.users.update(small.id, { capacity: 0 }))!.capacity).toBe(0);
        await expect(store.users.update(small.id, { capacity: -1 })).rejects.toThrow(RangeError);
        await expect(store.users.create({ ...base, username: `cap-bad-${engine.name}`, capacity: 1.5 })).rejects.toThrow(RangeError);
        expect((await store.users.get(small.id))!.capacity).toBe(0);
      });
    });

    describe('inbox: notes', () => {
      test('add and list a conversation’s notes, oldest first', async () => {
        const c = await citizen();
        const other = await citizen();
        const first = await store.notes.add({ conversationId: c.conversation.id, authorId: 'agent-1', text: 'Warga sudah datang ke kantor' });
        expect(first).toEqual({ id: expect.any(String), conversationId: c.conversation.id, authorId: 'agent-1', text: 'Warga sudah datang ke kantor', createdAt: expect.any(Date) });
        const createdAt = new Date('2036-01-01T00:00:00.000Z');
        const second = await store.notes.add({ conversationId: c.conversation.id, authorId: 'agent-2', text: 'Cek NIK', createdAt });
        expect(second.createdAt).toEqual(createdAt);
        await store.notes.add({ conversationId: other.conversation.id, authorId: 'agent-1', text: 'lain' });
        expect(await store.notes.list(c.conversation.id)).toEqual([first, second]);
        expect(await store.notes.list('no-such-conversation')).toEqual([]);
      });
    });

    describe('inbox: canned responses', () => {
      const shared = { ownerId: null, title: 'Salam', text: 'Selamat pagi, ada yang bisa kami bantu?' };

      test('shared and personal; a shortcut is unique per owner (and within the shared set)', async () => {
        const [u1, u2] = [`canned-u1-${engine.name}`, `canned-u2-${engine.name}`];
        const salam = await store.cannedResponses.create({ ...shared, shortcut: '/Salam' });
        expect(salam).toEqual({ id: expect.any(String), shortcut: 'salam', ...shared, createdAt: expect.any(Date), updatedAt: expect.any(Date) });
        expect(await store.cannedResponses.get(salam.id)).toEqual(salam);
        await expect(store.cannedResponses.create({ ...shared, shortcut: 'SALAM' })).rejects.toBeInstanceOf(DuplicateError);

        const mySalam = await store.cannedResponses.create({ shortcut: 'salam', title: 'Salam saya', text: 'Halo, saya Budi.', ownerId: u1 });
        const jam1 = await store.cannedResponses.create({ shortcut: 'jam', title: 'Jam', text: 'Buka 08.00–15.00', ownerId: u1 });
        await expect(store.cannedResponses.create({ shortcut: 'Jam', title: 'x', text: 'y', ownerId: u1 })).rejects.toBeInstanceOf(DuplicateError);
        const jam2 = await store.cannedResponses.create({ shortcut: 'jam', title: 'Jam', text: 'Buka pukul 8', ownerId: u2 });

        // By shortcut; the user's own before a shared one with the same shortcut; nobody else's.
        expect(await store.cannedResponses.listFor(u1)).toEqual([jam1, mySalam, salam]);
        expect(await store.cannedResponses.listFor(u2)).toEqual([jam2, salam]);
        expect(await store.cannedResponses.listFor('someone-else')).toEqual([salam]);
        await expect(store.cannedResponses.create({ ...shared, shortcut: 'dua kata' })).rejects.toThrow(RangeError);
      });

      test('update, delete; a concurrent duplicate loses', async () => {
        const owner = `canned-edit-${engine.name}`;
        const a = await store.cannedResponses.create({ shortcut: 'syarat', title: 'Syarat', text: 'KK dan KTP', ownerId: owner });
        const b = await store.cannedResponses.create({ shortcut: 'alamat', title: 'Alamat', text: 'Jl. Moh. Hatta', ownerId: owner });
        await new Promise((resolve) => setTimeout(resolve, 5));
        const edited = await store.cannedResponses.update(a.id, { title: 'Syarat KTP', text: 'Fotokopi KK', shortcut: '/SyaratKTP' });
        expect(edited).toEqual({ ...a, title: 'Syarat KTP', text: 'Fotokopi KK', shortcut: 'syaratktp', updatedAt: expect.any(Date) });
        expect(edited!.updatedAt.getTime()).toBeGreaterThan(a.updatedAt.getTime());
        expect(await store.cannedResponses.get(a.id)).toEqual(edited);
        await expect(store.cannedResponses.update(b.id, { shortcut: 'syaratktp' })).rejects.toBeInstanceOf(DuplicateError);
        expect(await store.cannedResponses.update('no-such-response', { title: 'x' })).toBeNull();

        expect(await store.cannedResponses.delete(b.id)).toBe(true);
        expect(await store.cannedResponses.delete(b.id)).toBe(false);
        expect(await store.cannedResponses.get(b.id)).toBeNull();
        expect((await store.cannedResponses.listFor(owner)).map((r) => r.id)).not.toContain(b.id);

        const racing = await Promise.allSettled([1, 2, 3].map(() => store.cannedResponses.create({ shortcut: 'balapan', title: 't', text: 'x', ownerId: owner })));
        expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(racing.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof DuplicateError)).toBe(true);
      });
    });

    describe('inbox: read markers', () => {
      test('a marker only moves forward, per user and conversation', async () => {
        const c = await citizen();
        const other = await citizen();
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await store.messages.add(inbound(c, `pesan ${i}`))).message.id);
        const [m1, m2, m3] = ids as [string, string, string];
        const user = `reader-${engine.name}`;
        expect(await store.readMarkers.get(user, [c.conversation.id])).toEqual({});
        await store.readMarkers.mark(user, c.conversation.id, m2);
        await store.readMarkers.mark(user, c.conversation.id, m1); // backwards: ignored
        expect(await store.readMarkers.get(user, [c.conversation.id, other.conversation.id])).toEqual({ [c.conversation.id]: m2 });
        await store.readMarkers.mark(user, c.conversation.id, m3);
        await store.readMarkers.mark(`${user}-2`, c.conversation.id, m1);
        await store.readMarkers.mark(user, other.conversation.id, m1);
        expect(await store.readMarkers.get(user, [c.conversation.id, other.conversation.id])).toEqual({ [c.conversation.id]: m3, [other.conversation.id]: m1 });
        expect(await store.readMarkers.get(`${user}-2`, [c.conversation.id])).toEqual({ [c.conversation.id]: m1 });
        expect(await store.readMarkers.get(user, [])).toEqual({});
        expect(await store.messages.countInboundAfter(c.conversation.id, (await store.readMarkers.get(`${user}-2`, [c.conversation.id]))[c.conversation.id])).toBe(2);

        const racer = `${user}-race`;
        await Promise.all([m2, m3, m1, m2].map((id) => store.readMarkers.mark(racer, c.conversation.id, id)));
        expect(await store.readMarkers.get(racer, [c.conversation.id])).toEqual({ [c.conversation.id]: m3 });
      });
    });

    describe('inbox: ratings', () => {
      test('one per conversation (and ticket): a second replaces the first', async () => {
        const c = await citizen();
        const ticket = await store.tickets.create(complaint(c, { createdAt: utc(2041) }));
        const first = await store.ratings.add({ conversationId: c.conversation.id, agentId: 'agent-1', score: 4 });
        expect(first).toEqual({ id: expect.any(String), conversationId: c.conversation.id, agentId: 'agent-1', score: 4, createdAt: expect.any(Date) });
        const forTicket = await store.ratings.add({ conversationId: c.conversation.id, ticketId: ticket.id, score: 5 });
        expect(forTicket.ticketId).toBe(ticket.id);
        expect(forTicket.id).not.toBe(first.id);

        const createdAt = new Date('2041-06-01T00:00:00.000Z');
        const second = await store.ratings.add({ conversationId: c.conversation.id, score: 2, createdAt });
        expect(second).toEqual({ id: first.id, conversationId: c.conversation.id, score: 2, createdAt });
        const ticketAgain = await store.ratings.add({ conversationId: c.conversation.id, ticketId: ticket.id, score: 1, agentId: 'agent-2' });
        expect(ticketAgain).toMatchObject({ id: forTicket.id, ticketId: ticket.id, score: 1, agentId: 'agent-2' });
        const mine = (await store.ratings.list({})).filter((r) => r.conversationId === c.conversation.id);
        expect(mine).toHaveLength(2);
        expect(mine).toContainEqual(second);

        const racing = await citizen();
        await Promise.all([1, 2, 3, 4].map((score) => store.ratings.add({ conversationId: racing.conversation.id, score })));
        expect((await store.ratings.list({})).filter((r) => r.conversationId === racing.conversation.id)).toHaveLength(1);

        for (const score of [0, 6, 3.5]) await expect(store.ratings.add({ conversationId: c.conversation.id, score })).rejects.toThrow(RangeError);
      });

      test('list by time: from inclusive, to exclusive, newest first, with a limit', async () => {
        const made = [];
        for (const [month, score] of [[1, 3], [2, 4], [3, 5]] as const) {
          const c = await citizen();
          made.push(await store.ratings.add({ conversationId: c.conversation.id, score, createdAt: new Date(Date.UTC(2042, month - 1, 1)) }));
        }
        const [jan, feb, mar] = made as [Rating, Rating, Rating];
        expect(await store.ratings.list({ from: jan.createdAt, to: mar.createdAt })).toEqual([feb, jan]);
        expect(await store.ratings.list({ from: feb.createdAt, to: new Date(Date.UTC(2043, 0, 1)) })).toEqual([mar, feb]);
        expect(await store.ratings.list({ from: jan.createdAt, to: new Date(Date.UTC(2043, 0, 1)), limit: 1 })).toEqual([mar]);
        expect((await store.ratings.list({ to: feb.createdAt })).map((r) => r.id)).toContain(jan.id);
      });
    });

    describe('knowledge: withdraw', () => {
      test('a withdrawn entry leaves published(); get() shows the withdrawn version; publishing again brings it back', async () => {
        const v1 = await store.knowledge.publish(entry('tarik-kembali', 'Akan ditarik'), 'seed');
        expect(v1.withdrawn).toBeUndefined();
        const revision = await store.knowledge.revision();

        expect(await store.knowledge.withdraw('tarik-kembali', 'admin-1', 'layanan dihentikan')).toBe(true);
        expect(await store.knowledge.revision()).toBe(revision + 1); // instances reload
        expect((await store.knowledge.published()).map((e) => e.id)).not.toContain('tarik-kembali');
        const withdrawn = await store.knowledge.get('tarik-kembali');
        expect(withdrawn).toEqual({
          entryId: 'tarik-kembali',
          version: 2,
          entry: entry('tarik-kembali', 'Akan ditarik'), // the content it had, for the history and a later rollback
          by: 'admin-1',
          note: 'layanan dihentikan',
          withdrawn: true,
          at: expect.any(Date),
        });
        expect((await store.knowledge.versions('tarik-kembali')).map((v) => [v.version, v.withdrawn ?? false])).toEqual([
          [2, true],
          [1, false],
        ]);

        expect(await store.knowledge.withdraw('tarik-kembali', 'admin-1')).toBe(false); // not published any more
        expect(await store.knowledge.withdraw('belum-pernah-ada', 'admin-1')).toBe(false);
        expect(await store.knowledge.revision()).toBe(revision + 1);
        expect(await store.knowledge.versions('belum-pernah-ada')).toEqual([]);

        const v3 = await store.knowledge.publish(entry('tarik-kembali', 'Dibuka lagi'), 'admin-2');
        expect(v3).toMatchObject({ version: 3 });
        expect(v3.withdrawn).toBeUndefined();
        expect(await store.knowledge.get('tarik-kembali')).toEqual(v3);
        expect((await store.knowledge.published()).find((e) => e.id === 'tarik-kembali')).toEqual(entry('tarik-kembali', 'Dibuka lagi'));
      });

      test('concurrent withdrawals of one entry: exactly one succeeds', async () => {
        await store.knowledge.publish(entry('tarik-serentak', 'Ditarik serentak'), 'seed');
        const results = await Promise.all([1, 2, 3, 4].map((i) => store.knowledge.withdraw('tarik-serentak', `admin-${i}`)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.knowledge.versions('tarik-serentak')).map((v) => v.version)).toEqual([2, 1]);
      });
    });

    describe('drafts', () => {
      test('create, edit while a draft, submit, send back, resubmit, approve; ifStatus guards every step', async () => {
        const draft = await store.drafts.create({ entryId: 'ktp-hilang', baseVersion: 3, entry: entry('ktp-hilang', 'KTP-el hilang'), authorId: 'editor-1' });
        expect(draft).toEqual({
          id: expect.any(String),
          entryId: 'ktp-hilang',
          baseVersion: 3,
          entry: entry('ktp-hilang', 'KTP-el hilang'),
          status: 'draft',
          authorId: 'editor-1',
          createdAt: expect.any(Date),
          updatedAt: expect.any(Date),
        });
        expect(await store.drafts.get(draft.id)).toEqual(draft);
        const fresh = await store.drafts.create({ entryId: 'entri-baru', baseVersion: null, entry: entry('entri-baru', 'Entri baru'), authorId: 'editor-1' });
        expect(fresh.baseVersion).toBeNull();
        expect(await store.drafts.get(fresh.id)).toEqual(fresh);

        await new Promise((resolve) => setTimeout(resolve, 5));
        const edited = { ...entry('ktp-hilang', 'KTP-el hilang'), requirements: ['Surat keterangan hilang dari kepolisian', 'Fotokopi KK'] };
        const saved = await store.drafts.update(draft.id, { entry: edited, baseVersion: 4 }, ['draft', 'rejected']);
        expect(saved).toEqual({ ...draft, entry: edited, baseVersion: 4, updatedAt: expect.any(Date) });
        expect(saved!.updatedAt.getTime()).toBeGreaterThan(draft.updatedAt.getTime());

        const submitted = await store.drafts.update(draft.id, { status: 'submitted' }, ['draft', 'rejected']);
        expect(submitted).toMatchObject({ status: 'submitted', entry: edited });
        // Submitted: the editor can no longer change it, and submitting twice does nothing.
        expect(await store.drafts.update(draft.id, { entry: entry('ktp-hilang', 'diam-diam') }, ['draft', 'rejected'])).toBeNull();
        expect(await store.drafts.update(draft.id, { status: 'submitted' }, ['draft', 'rejected'])).toBeNull();
        expect(await store.drafts.get(draft.id)).toEqual(submitted);

        const rejected = await store.drafts.update(draft.id, { status: 'rejected', reviewComment: 'Sebutkan dasar hukumnya', reviewerId: 'supervisor-1' }, ['submitted']);
        expect(rejected).toMatchObject({ status: 'rejected', reviewComment: 'Sebutkan dasar hukumnya', reviewerId: 'supervisor-1' });
        expect(await store.drafts.update(draft.id, { status: 'approved' }, ['submitted'])).toBeNull(); // sent back: not approvable
        expect(await store.drafts.update(draft.id, { status: 'submitted' }, ['draft', 'rejected'])).toMatchObject({ status: 'submitted' });

        const approved = await store.drafts.update(draft.id, { status: 'approved', reviewerId: 'supervisor-2', reviewComment: 'OK' }, ['submitted']);
        expect(approved).toMatchObject({ status: 'approved', reviewerId: 'supervisor-2', reviewComment: 'OK' });
        expect(await store.drafts.get(draft.id)).toEqual(approved);

        expect(await store.drafts.update(draft.id, { status: 'draft' }, [])).toBeNull();
        expect(await store.drafts.update('no-such-draft', { status: 'submitted' }, ['draft'])).toBeNull();
        expect(await store.drafts.get('no-such-draft')).toBeNull();
      });

      test('two reviewers approving at once: exactly one succeeds', async () => {
        for (let round = 0; round < 3; round++) {
          const draft = await store.drafts.create({ entryId: 'kk-baru', baseVersion: 1, entry: entry('kk-baru', 'KK baru'), authorId: 'editor-2' });
          await store.drafts.update(draft.id, { status: 'submitted' }, ['draft']);
          const results = await Promise.all(
            ['supervisor-a', 'supervisor-b'].map((reviewerId) => store.drafts.update(draft.id, { status: 'approved', reviewerId }, ['submitted'])),
          );
          const winners = results.filter((result) => result !== null);
          expect(winners).toHaveLength(1);
          expect(await store.drafts.get(draft.id)).toMatchObject({ status: 'approved', reviewerId: winners[0]!.reviewerId });
        }
      });

      test('list filters by status, entry and author, newest first, with a limit', async () => {
        const made: string[] = [];
        for (const [entryId, authorId] of [['list-a', 'penulis-1'], ['list-b', 'penulis-2'], ['list-a', 'penulis-2'], ['list-a', 'penulis-1']]) {
          made.push((await store.drafts.create({ entryId: entryId!, baseVersion: null, entry: entry(entryId!, `Judul ${entryId}`), authorId: authorId! })).id);
        }
        await store.drafts.update(made[1]!, { status: 'submitted' }, ['draft']);
        await store.drafts.update(made[2]!, { status: 'submitted' }, ['draft']);
        expect((await store.drafts.list({ entryId: 'list-a' })).map((d) => d.id)).toEqual([made[3], made[2], made[0]]);
        expect((await store.drafts.list({ entryId: 'list-a', limit: 2 })).map((d) => d.id)).toEqual([made[3], made[2]]);
        expect((await store.drafts.list({ authorId: 'penulis-2' })).map((d) => d.id)).toEqual([made[2], made[1]]);
        expect((await store.drafts.list({ authorId: 'penulis-2', entryId: 'list-b' })).map((d) => d.id)).toEqual([made[1]]);
        const queue = await store.drafts.list({ status: ['submitted'] });
        expect(queue.every((d) => d.status === 'submitted')).toBe(true);
        expect(queue.filter((d) => made.includes(d.id)).map((d) => d.id)).toEqual([made[2], made[1]]);
        expect((await store.drafts.list({ status: ['draft', 'submitted'], entryId: 'list-a', authorId: 'penulis-1' })).map((d) => d.id)).toEqual([made[3], made[0]]);
        expect(await store.drafts.list({ status: [], entryId: 'list-a' })).toEqual([]);
      });
    });

    describe('unanswered questions', () => {
      const at = (minute: number) => new Date(Date.UTC(2026, 4, 10, 8, minute));

      test('record starts a group, adds to it, keeps the latest 20 samples, and first/last seen', async () => {
        const group = await store.unanswered.record({ text: 'cara urus surat pindah gimana', stems: ['urus', 'surat', 'pindah'], at: at(10) });
        expect(group).toEqual({
          id: expect.any(String),
          stems: ['urus', 'surat', 'pindah'],
          samples: ['cara urus surat pindah gimana'],
          count: 1,
          firstSeen: at(10),
          lastSeen: at(10),
          status: 'open',
        });
        expect(await store.unanswered.get(group.id)).toEqual(group);

        let latest = group;
        for (let i = 1; i <= 25; i++) latest = await store.unanswered.record({ text: `pindah domisili ${i}`, stems: ['pindah', 'domisili'], at: at(10 + i) }, group.id);
        expect(latest).toMatchObject({ id: group.id, count: 26, firstSeen: at(10), lastSeen: at(35), stems: ['urus', 'surat', 'pindah'], status: 'open' });
        expect(latest.samples).toEqual(Array.from({ length: 20 }, (_, i) => `pindah domisili ${i + 6}`));

        // A message that arrives late (older than the first) moves firstSeen back, not lastSeen.
        const late = await store.unanswered.record({ text: 'surat pindah (terlambat)', stems: ['surat', 'pindah'], at: at(1) }, group.id);
        expect(late).toMatchObject({ count: 27, firstSeen: at(1), lastSeen: at(35) });
        expect(late.samples).toHaveLength(20);
        expect(late.samples.at(-1)).toBe('surat pindah (terlambat)');
        expect(await store.unanswered.get(group.id)).toEqual(late);
        expect(await store.unanswered.get('no-such-group')).toBeNull();
      });

      test('concurrent records into one group all count', async () => {
        const group = await store.unanswered.record({ text: 'akta cerai', stems: ['akta', 'cerai'], at: at(0) });
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.unanswered.record({ text: `akta cerai ${i}`, stems: ['akta', 'cerai'], at: at(i + 1) }, group.id)));
        const after = await store.unanswered.get(group.id);
        expect(after).toMatchObject({ count: 11, firstSeen: at(0), lastSeen: at(10) });
        expect([...after!.samples].sort()).toEqual(['akta cerai', ...Array.from({ length: 10 }, (_, i) => `akta cerai ${i}`)].sort());
      });

      test('open() lists open groups most often seen first (then most recently), with a limit; resolving removes a group', async () => {
        const make = async (text: string, count: number, minute: number) => {
          let g = await store.unanswered.record({ text, stems: [text], at: at(minute) });
          for (let i = 1; i < count; i++) g = await store.unanswered.record({ text, stems: [text], at: at(minute) }, g.id);
          return g;
        };
        const rare = await make('jarang', 1, 1);
        const often = await make('sering', 40, 2);
        const middleOld = await make('sedang lama', 30, 3);
        const middleNew = await make('sedang baru', 30, 4);
        const ours = [rare.id, often.id, middleOld.id, middleNew.id];

        const open = await store.unanswered.open();
        expect(open.filter((g) => ours.includes(g.id)).map((g) => g.id)).toEqual([often.id, middleNew.id, middleOld.id, rare.id]);
        for (let i = 1; i < open.length; i++) {
          const [a, b] = [open[i - 1]!, open[i]!];
          expect(a.count > b.count || (a.count === b.count && a.lastSeen.getTime() >= b.lastSeen.getTime())).toBe(true);
        }
        expect(open.every((g) => g.status === 'open')).toBe(true);
        expect(await store.unanswered.open(2)).toHaveLength(2);
        expect((await store.unanswered.open(1))[0]!.count).toBeGreaterThanOrEqual(40);

        const resolution = { type: 'phrases' as const, entryId: 'pindah-datang', by: 'admin-1', at: new Date('2026-05-11T01:02:03.004Z') };
        const resolved = await store.unanswered.resolve(often.id, resolution);
        expect(resolved).toEqual({ ...often, status: 'resolved', resolution });
        expect(await store.unanswered.get(often.id)).toEqual(resolved);
        expect((await store.unanswered.open()).map((g) => g.id)).not.toContain(often.id);
        // Already resolved: a second admin's action does not overwrite the first.
        expect(await store.unanswered.resolve(often.id, { type: 'ignored', by: 'admin-2', at: new Date() })).toBeNull();
        expect(await store.unanswered.get(often.id)).toEqual(resolved);

        const draft = await store.unanswered.resolve(middleNew.id, { type: 'draft', draftId: 'draft-1', by: 'admin-1', at: new Date('2026-05-11T00:00:00.000Z') });
        expect(draft).toMatchObject({ status: 'resolved', resolution: { type: 'draft', draftId: 'draft-1', by: 'admin-1' } });
        expect(draft!.resolution!.entryId).toBeUndefined();
        const ignored = await store.unanswered.resolve(rare.id, { type: 'ignored', by: 'admin-3', at: new Date('2026-05-11T00:00:00.000Z') });
        expect(ignored).toMatchObject({ status: 'ignored', resolution: { type: 'ignored', by: 'admin-3' } });
        expect(await store.unanswered.resolve('no-such-group', resolution)).toBeNull();
        expect((await store.unanswered.open()).filter((g) => ours.includes(g.id)).map((g) => g.id)).toEqual([middleOld.id]);
      });

      test('a message for a group that is no longer open starts a new group', async () => {
        const group = await store.unanswered.record({ text: 'legalisir ijazah', stems: ['legalisir', 'ijazah'], at: at(0) });
        await store.unanswered.resolve(group.id, { type: 'ignored', by: 'admin-1', at: at(1) });
        const next = await store.unanswered.record({ text: 'legalisir ijazah lagi', stems: ['legalisir', 'ijazah'], at: at(2) }, group.id);
        expect(next.id).not.toBe(group.id);
        expect(next).toMatchObject({ count: 1, samples: ['legalisir ijazah lagi'], stems: ['legalisir', 'ijazah'], status: 'open', firstSeen: at(2) });
        expect(await store.unanswered.get(group.id)).toMatchObject({ count: 1, status: 'ignored' });
        const unknown = await store.unanswered.record({ text: 'x', stems: ['x'], at: at(3) }, 'no-such-group');
        expect(unknown).toMatchObject({ count: 1, status: 'open' });
      });
    });

    describe('audit log', () => {
      const day = (d: number, hour = 0) => new Date(Date.UTC(2040, 0, d, hour));
      const actor = `auditor-${engine.name}`;

      test('add, then list newest first with filters and keyset paging by beforeId', async () => {
        const now = await store.audit.add({ actorId: actor, action: 'settings.office', target: 'office', summary: 'Jam layanan diubah' });
        expect(now).toEqual({ id: expect.any(String), at: expect.any(Date), actorId: actor, action: 'settings.office', target: 'office', summary: 'Jam layanan diubah' });
        expect(Math.abs(now.at.getTime() - Date.now())).toBeLessThan(10_000);

        const e1 = await store.audit.add({ at: day(1), actorId: actor, action: 'entry.publish', target: 'ktp-baru', summary: 'Versi 2 diterbitkan' });
        const e2 = await store.audit.add({ at: day(2), actorId: 'other-admin', action: 'user.create', target: 'budi', summary: 'Pengguna budi (agent) dibuat' });
        const e3 = await store.audit.add({ at: day(2), actorId: actor, action: 'entry.publish', target: 'kk-baru', summary: 'Versi 5 diterbitkan' });
        const e4 = await store.audit.add({ at: day(3), actorId: actor, action: 'ticket.status', target: 'ADU-2040-000001', summary: 'baru → diproses' });
        const e5 = await store.audit.add({ at: new Date(Date.UTC(2039, 11, 31)), actorId: actor, action: 'entry.withdraw', target: 'ktp-baru', summary: 'Ditarik' });
        expect(e1).toEqual({ id: expect.any(String), at: day(1), actorId: actor, action: 'entry.publish', target: 'ktp-baru', summary: 'Versi 2 diterbitkan' });

        const span = { from: new Date(Date.UTC(2039, 11, 1)), to: new Date(Date.UTC(2040, 1, 1)) };
        const ids = async (filter: Parameters<Store['audit']['list']>[0]) => (await store.audit.list(filter)).map((e) => e.id);
        // Newest first by time (e5 was added last but happened first); same time: later added first.
        expect(await ids(span)).toEqual([e4.id, e3.id, e2.id, e1.id, e5.id]);
        expect(await store.audit.list({ ...span, limit: 1 })).toEqual([e4]);
        expect(await ids({ ...span, actorId: actor })).toEqual([e4.id, e3.id, e1.id, e5.id]);
        expect(await ids({ actorId: 'other-admin' })).toEqual([e2.id]);
        expect(await ids({ ...span, action: 'entry.publish' })).toEqual([e3.id, e1.id]);
        expect(await ids({ ...span, target: 'ktp-baru' })).toEqual([e1.id, e5.id]);
        expect(await ids({ target: 'ktp-baru', actorId: actor, action: 'entry.withdraw' })).toEqual([e5.id]);
        expect(await ids({ from: day(2), to: day(3) })).toEqual([e3.id, e2.id]); // from inclusive, to exclusive
        expect(await ids({ actorId: actor })).toEqual([e4.id, e3.id, e1.id, e5.id, now.id]); // today is older than 2039

        // Pages of 2, each continuing after the last one seen.
        expect(await ids({ ...span, limit: 2 })).toEqual([e4.id, e3.id]);
        expect(await ids({ ...span, limit: 2, beforeId: e3.id })).toEqual([e2.id, e1.id]);
        expect(await ids({ ...span, limit: 2, beforeId: e1.id })).toEqual([e5.id]);
        expect(await ids({ ...span, limit: 2, beforeId: e5.id })).toEqual([]);
        expect(await ids({ ...span, actorId: actor, limit: 2, beforeId: e3.id })).toEqual([e1.id, e5.id]);
        // A page boundary inside a run of equal times (e2, e3 share theirs) loses and repeats nothing.
        expect(await ids({ ...span, beforeId: e2.id })).toEqual([e1.id, e5.id]);
        expect(await ids({ ...span, beforeId: 'no-such-event' })).toEqual([]);
      });
    });

    describe('stats (dashboard)', () => {
      // Asia/Makassar is UTC+8: the office's day starts at 16:00 UTC the day before.
      const Z = (iso: string) => new Date(iso);
      const range = { from: Z('2019-06-09T16:00:00Z'), to: Z('2019-06-12T16:00:00Z'), timeZone: 'Asia/Makassar' };
      const utcRange = { ...range, timeZone: 'UTC' };
      /** Runs `work` with the clock at `now` (only Date is faked): conversations take their creation time from it. */
      const atTime = async <T>(now: Date, work: () => Promise<T>): Promise<T> => {
        jest.useFakeTimers({
          now,
          doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
        });
        try {
          return await work();
        } finally {
          jest.useRealTimers();
        }
      };
      const openAt = async (channel: Contact['channel'], iso: string) => {
        const contact = await store.contacts.upsert(channel, `${engine.name}-stats-${++seq}`);
        return atTime(Z(iso), () => store.conversations.open(contact));
      };

      test('conversations per day and channel follow the office’s days, not UTC’s', async () => {
        await openAt('web', '2019-06-09T15:59:00Z'); // 06-09 23:59 in Makassar: before the range
        await openAt('web', '2019-06-09T16:00:00Z'); // 06-10 00:00
        await openAt('telegram', '2019-06-09T23:30:00Z'); // 06-10 07:30 (06-09 in UTC)
        await openAt('telegram', '2019-06-10T00:30:00Z'); // 06-10 08:30
        await openAt('whatsapp', '2019-06-10T17:00:00Z'); // 06-11 01:00 (06-10 in UTC)
        await openAt('web', '2019-06-12T15:59:59.999Z'); // 06-12 23:59:59.999
        await openAt('web', '2019-06-12T16:00:00Z'); // 06-13 00:00: the range's end is exclusive

        expect(await store.stats.conversationsPerDay(range)).toEqual([
          { day: '2019-06-10', channel: 'telegram', count: 2 },
          { day: '2019-06-10', channel: 'web', count: 1 },
          { day: '2019-06-11', channel: 'whatsapp', count: 1 },
          { day: '2019-06-12', channel: 'web', count: 1 },
        ]);
        // The same instants counted in UTC fall on other days.
        expect(await store.stats.conversationsPerDay(utcRange)).toEqual([
          { day: '2019-06-09', channel: 'telegram', count: 1 },
          { day: '2019-06-09', channel: 'web', count: 1 },
          { day: '2019-06-10', channel: 'telegram', count: 1 },
          { day: '2019-06-10', channel: 'whatsapp', count: 1 },
          { day: '2019-06-12', channel: 'web', count: 1 },
        ]);

        // Any zone, DST included: Berlin moved from +1 to +2 on 2019-03-31 (a fixed offset would put the second on 03-31).
        await openAt('web', '2019-03-30T23:30:00Z'); // 03-31 00:30 CET
        await openAt('web', '2019-03-31T22:30:00Z'); // 04-01 00:30 CEST
        expect(await store.stats.conversationsPerDay({ from: Z('2019-03-30T00:00:00Z'), to: Z('2019-04-02T00:00:00Z'), timeZone: 'Europe/Berlin' })).toEqual([
          { day: '2019-03-31', channel: 'web', count: 1 },
          { day: '2019-04-01', channel: 'web', count: 1 },
        ]);
        await expect(store.stats.conversationsPerDay({ ...range, timeZone: 'Mars/Olympus_Mons' })).rejects.toThrow(RangeError);
        expect(await store.stats.conversationsPerDay({ ...range, to: range.from })).toEqual([]);
      });

      test('replies per day count each turn once (its first bot reply); answers per entry count every answer', async () => {
        const c = await citizen('whatsapp');
        const turn = async (iso: string, replies: Partial<NewMessage>[]) => {
          const question = (await store.messages.add(inbound(c, 'pertanyaan', { createdAt: new Date(Z(iso).getTime() - 1000) }))).message;
          for (const [index, reply] of replies.entries()) {
            await store.messages.add({
              ...inbound(c, 'jawaban'),
              id: `${question.id}-${String(index + 1).padStart(2, '0')}`,
              direction: 'out',
              author: 'bot',
              replyTo: question.id,
              createdAt: new Date(Z(iso).getTime() + index),
              ...reply,
            });
          }
        };
        await turn('2019-06-09T15:00:00Z', [{ kind: 'answer', entry: 'akta-kelahiran' }]); // before the range
        await turn('2019-06-09T23:00:00Z', [{ kind: 'answer', entry: 'ktp-baru' }, { kind: 'menu' }]); // 06-10 07:00
        await turn('2019-06-10T15:30:00Z', [{ kind: 'fallback' }]); // 06-10 23:30
        await turn('2019-06-10T16:30:00Z', [{ kind: 'fallback' }]); // 06-11 00:30 (06-10 in UTC)
        await turn('2019-06-11T02:00:00Z', [{ kind: 'answer', entry: 'ktp-baru' }, { kind: 'answer', entry: 'kk-baru' }]); // 06-11
        // Bot messages outside turns (plain ids) and agents' messages are not turns.
        await store.messages.add({ ...inbound(c, 'Status tiket berubah'), direction: 'out', author: 'bot', kind: 'status', createdAt: Z('2019-06-11T03:00:00Z') });
        await store.messages.add({ ...inbound(c, 'Saya bantu'), direction: 'out', author: 'agent', authorId: 'agent-1', createdAt: Z('2019-06-11T04:00:00Z') });

        expect(await store.stats.repliesPerDay(range)).toEqual([
          { day: '2019-06-10', kind: 'answer', count: 1 },
          { day: '2019-06-10', kind: 'fallback', count: 1 },
          { day: '2019-06-11', kind: 'answer', count: 1 },
          { day: '2019-06-11', kind: 'fallback', count: 1 },
        ]);
        expect(await store.stats.repliesPerDay(utcRange)).toEqual([
          { day: '2019-06-09', kind: 'answer', count: 1 },
          { day: '2019-06-10', kind: 'fallback', count: 2 },
          { day: '2019-06-11', kind: 'answer', count: 1 },
        ]);
        expect(await store.stats.answersPerEntry(range)).toEqual([
          { entry: 'ktp-baru', count: 2 },
          { entry: 'kk-baru', count: 1 },
        ]);
      });

      test('tickets created in the range by status, category and kecamatan; resolutions in the range, on time or not', async () => {
        const c = await citizen();
        const file = (iso: string, extra: Partial<NewTicket> = {}) => store.tickets.create(complaint(c, { createdAt: Z(iso), ...extra }));
        const status = (t: Ticket, to: Ticket['status'], iso: string, patch: Partial<Ticket> = {}) =>
          store.tickets.update(t.id, { status: to, ...patch }, { actor: 'agent-1', type: 'status', at: Z(iso) });

        const k1 = await file('2019-06-09T17:00:00Z', { kecamatan: 'Palu Barat', dueAt: Z('2019-06-11T08:00:00Z') });
        await status(k1, 'diproses', '2019-06-10T01:00:00Z');
        await status(k1, 'selesai', '2019-06-11T03:00:00Z'); // before its due date
        const k2 = await file('2019-06-10T16:30:00Z', { category: 'pungli', dueAt: Z('2019-06-10T20:00:00Z') });
        await status(k2, 'selesai', '2019-06-11T01:00:00Z'); // late
        // As the ticket service does: a finished ticket has no deadline any more. It was still late.
        await store.tickets.update(k2.id, { dueAt: null }, { actor: 'system', type: 'updated', note: 'Tenggat diperbarui' });
        const k3 = await file('2019-06-09T15:00:00Z', { kecamatan: 'Palu Barat' }); // filed before the range, resolved in it
        await status(k3, 'selesai', '2019-06-10T05:00:00Z');
        const k4 = await file('2019-06-12T10:00:00Z', { kecamatan: 'Tatanga' });
        await status(k4, 'selesai', '2019-06-12T12:00:00Z'); // no due date: unknown
        const k5 = await file('2019-06-11T05:00:00Z', { kecamatan: 'Tatanga' });
        await status(k5, 'diproses', '2019-06-11T06:00:00Z');
        const k6 = await file('2019-06-12T15:59:59.999Z', { category: 'infrastruktur' });
        await status(k6, 'selesai', '2019-06-12T16:00:00Z'); // resolved at the range's (exclusive) end
        await file('2019-06-12T16:00:00Z', { category: 'di-luar' }); // after the range
        // Resolved, reopened with a new deadline, resolved again after it: counted once, by the last resolution.
        const k8 = await file('2019-06-10T03:00:00Z', { kecamatan: 'Tatanga', dueAt: Z('2019-06-10T06:00:00Z') });
        await status(k8, 'selesai', '2019-06-10T04:00:00Z');
        await status(k8, 'diproses', '2019-06-10T05:00:00Z', { dueAt: Z('2019-06-11T09:00:00Z') });
        await status(k8, 'selesai', '2019-06-11T10:00:00Z');

        expect(await store.stats.ticketsBy(range, 'status')).toEqual([
          { key: 'diproses', count: 1 },
          { key: 'selesai', count: 5 },
        ]);
        expect(await store.stats.ticketsBy(range, 'category')).toEqual([
          { key: 'infrastruktur', count: 1 },
          { key: 'pelayanan', count: 4 },
          { key: 'pungli', count: 1 },
        ]);
        expect(await store.stats.ticketsBy(range, 'kecamatan')).toEqual([
          { key: '-', count: 2 },
          { key: 'Palu Barat', count: 1 },
          { key: 'Tatanga', count: 3 },
        ]);
        expect(await store.stats.resolutions(range)).toEqual([
          { createdAt: k3.createdAt, resolvedAt: Z('2019-06-10T05:00:00Z'), withinDue: null },
          { createdAt: k2.createdAt, resolvedAt: Z('2019-06-11T01:00:00Z'), withinDue: false },
          { createdAt: k1.createdAt, resolvedAt: Z('2019-06-11T03:00:00Z'), withinDue: true },
          { createdAt: k8.createdAt, resolvedAt: Z('2019-06-11T10:00:00Z'), withinDue: false },
          { createdAt: k4.createdAt, resolvedAt: Z('2019-06-12T12:00:00Z'), withinDue: null },
        ]);
        expect(await store.stats.ticketsBy({ ...range, to: range.from }, 'status')).toEqual([]);
      });

      test('first responses: the first agent message at or after the handoff request, also after a hand-back', async () => {
        const agentSays = (conversation: { contact: Contact; conversation: Conversation }, iso: string) =>
          store.messages.add({ ...inbound(conversation, 'Halo, saya petugas'), direction: 'out', author: 'agent', authorId: 'agent-1', createdAt: Z(iso) });

        const h1 = await citizen();
        await store.conversations.update(h1.conversation.id, { state: 'waiting', handoffRequestedAt: Z('2019-06-10T02:00:00Z') });
        await agentSays(h1, '2019-06-10T01:00:00Z'); // before the request
        await agentSays(h1, '2019-06-10T02:10:00Z');
        await agentSays(h1, '2019-06-10T02:05:00Z'); // stored later, written earlier: the first response
        // Hand-back clears the request; the response still counts.
        await store.conversations.update(h1.conversation.id, { state: 'bot', assigneeId: null, handoffRequestedAt: null });

        const h2 = await citizen(); // asked, nobody answered
        await store.conversations.update(h2.conversation.id, { state: 'waiting', handoffRequestedAt: Z('2019-06-11T09:00:00Z') });
        await store.messages.add(inbound(h2, 'halo?', { createdAt: Z('2019-06-11T10:00:00Z') }));
        const h3 = await citizen(); // asked before the range
        await store.conversations.update(h3.conversation.id, { state: 'waiting', handoffRequestedAt: Z('2019-06-09T10:00:00Z') });
        await agentSays(h3, '2019-06-10T10:00:00Z');
        const h4 = await citizen(); // asked in the range, answered after it
        await store.conversations.update(h4.conversation.id, { state: 'waiting', handoffRequestedAt: Z('2019-06-12T15:00:00Z') });
        await agentSays(h4, '2019-06-13T01:00:00Z');

        expect(await store.stats.firstResponses(range)).toEqual([
          { requestedAt: Z('2019-06-10T02:00:00Z'), respondedAt: Z('2019-06-10T02:05:00Z') },
          { requestedAt: Z('2019-06-12T15:00:00Z'), respondedAt: Z('2019-06-13T01:00:00Z') },
        ]);
        expect((await store.conversations.get(h1.conversation.id))!.handoffRequestedAt).toBeNull(); // the interface is unchanged
      });
    });

    describe('privacy (issue 6): retention, data requests', () => {
      /** Runs `work` with the clock at `now` (only Date is faked), as the stats tests do. */
      const atTime = async <T>(now: Date, work: () => Promise<T>): Promise<T> => {
        jest.useFakeTimers({
          now,
          doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
        });
        try {
          return await work();
        } finally {
          jest.useRealTimers();
        }
      };
      // Long before anything else in this suite, so other tests' data is never due.
      const Z = (iso: string) => new Date(iso);
      const png = Buffer.from('89504e470d0a1a0a', 'hex');
      const NIK = '7271011208900001';

      /** A citizen whose whole story happened at 2001 dates: written with the clock there. */
      const oldCitizen = async (channel: Contact['channel'], externalId: string, iso: string) =>
        atTime(Z(iso), async () => {
          const contact = await store.contacts.upsert(channel, externalId, 'Siti Aminah');
          const conversation = await store.conversations.open(contact);
          return { contact, conversation };
        });
      const say = (c: { contact: Contact; conversation: Conversation }, text: string, iso: string, extra: Partial<NewMessage> = {}) =>
        atTime(Z(iso), async () => {
          const message = (await store.messages.add(inbound(c, text, { createdAt: Z(iso), ...extra }))).message;
          await store.conversations.update(c.conversation.id, { lastMessageAt: Z(iso) });
          return message;
        });
      const closeAt = (c: { conversation: Conversation }, iso: string) =>
        atTime(Z(iso), () => store.conversations.update(c.conversation.id, { state: 'closed', closedAt: Z(iso), lastMessageAt: Z(iso) }));

      test('anonymiseBefore: old finished conversations lose texts, files and identity in batches; the dashboard still counts them; nothing open, recent or with an agent is touched; a second run changes nothing', async () => {
        const wa = `62812${String(Date.now()).slice(-7)}`; // unique per run: contacts persist across engines' reruns
        // A: WhatsApp, a complaint with a photo, resolved and closed in January 2001.
        const a = await oldCitizen('whatsapp', `${wa}@s.whatsapp.net`, '2001-01-10T02:00:00Z');
        await store.contacts.update(a.contact.id, { phone: `0${wa.slice(2)}` });
        const photo = await store.files.put(png, { fileName: 'ktp.png', mimeType: 'image/png' });
        const scan = await store.files.put(png, { fileName: 'kk.png', mimeType: 'image/png' });
        await say(a, `NIK saya ${NIK}, hp 0${wa.slice(2)}`, '2001-01-10T02:01:00Z');
        await say(a, '', '2001-01-10T02:02:00Z', { attachments: [{ kind: 'image', key: photo, fileName: 'ktp.png', mimeType: 'image/png', size: png.length }] });
        await atTime(Z('2001-01-10T02:03:00Z'), () =>
          store.messages.add({ ...inbound(a, 'Baik, pengaduan Anda ADU-2001-000001 tercatat.'), direction: 'out', author: 'bot', kind: 'complaint', createdAt: Z('2001-01-10T02:03:00Z') }),
        );
        const ticketA = await atTime(Z('2001-01-10T02:03:00Z'), () =>
          store.tickets.create(
            complaint(a, {
              createdAt: Z('2001-01-10T02:03:00Z'),
              kecamatan: 'Palu Barat',
              kelurahan: 'Lere',
              reporterName: 'Siti Aminah',
              reporterPhone: `0${wa.slice(2)}`,
              description: `Petugas minta uang, NIK ${NIK}`,
              attachments: [{ kind: 'image', key: photo, fileName: 'ktp.png' }, { kind: 'image', key: scan, fileName: 'kk.png' }],
            }),
          ),
        );
        await atTime(Z('2001-01-11T02:00:00Z'), () => store.tickets.update(ticketA.id, {}, { actor: 'agent-1', type: 'note', note: 'Warga Siti, HP 0812…' }));
        await atTime(Z('2001-01-12T02:00:00Z'), () => store.tickets.update(ticketA.id, { status: 'selesai' }, { actor: 'agent-1', type: 'status', note: 'Sudah dikembalikan' }));
        await atTime(Z('2001-01-12T02:00:00Z'), () => store.notes.add({ conversationId: a.conversation.id, authorId: 'agent-1', text: `Warga bernama Siti, NIK ${NIK}` }));
        await atTime(Z('2001-01-12T02:00:00Z'), () => store.ratings.add({ conversationId: a.conversation.id, score: 5 }));
        await store.conversations.update(a.conversation.id, { memory: { lastTicketId: ticketA.id, noticeShown: true }, flow: { name: 'rating', step: 'score', data: { phone: '0812' } } });
        await closeAt(a, '2001-01-13T02:00:00Z');

        // B: Telegram, left with the bot mid-conversation, quiet since January 2001.
        const b = await oldCitizen('telegram', `tg-old-${++seq}`, '2001-01-05T02:00:00Z');
        await say(b, 'syarat akta kelahiran, anak saya lahir di RS', '2001-01-05T02:01:00Z');
        // C: closed in 2001, but its complaint is still being handled.
        const c = await oldCitizen('web', `web-old-${++seq}`, '2001-01-06T02:00:00Z');
        await say(c, 'KTP saya belum jadi 3 bulan', '2001-01-06T02:01:00Z');
        const ticketC = await atTime(Z('2001-01-06T02:02:00Z'), () => store.tickets.create(complaint(c, { createdAt: Z('2001-01-06T02:02:00Z') })));
        await atTime(Z('2001-01-07T02:00:00Z'), () => store.tickets.update(ticketC.id, { status: 'diproses' }, { actor: 'agent-1', type: 'status' }));
        await closeAt(c, '2001-01-07T03:00:00Z');
        // D: closed in 2001, its complaint finished only now: kept until it is old too.
        const d = await oldCitizen('web', `web-old-${++seq}`, '2001-01-08T02:00:00Z');
        await say(d, 'Antrean lama sekali', '2001-01-08T02:01:00Z');
        const ticketD = await atTime(Z('2001-01-08T02:02:00Z'), () => store.tickets.create(complaint(d, { createdAt: Z('2001-01-08T02:02:00Z') })));
        await closeAt(d, '2001-01-08T03:00:00Z');
        await store.tickets.update(ticketD.id, { status: 'ditutup' }, { actor: 'agent-1', type: 'status' });
        // E: waiting for an agent since 2001: a human still has to answer.
        const e = await oldCitizen('web', `web-old-${++seq}`, '2001-01-09T02:00:00Z');
        await say(e, 'mau bicara dengan petugas', '2001-01-09T02:01:00Z');
        await atTime(Z('2001-01-09T02:01:00Z'), () => store.conversations.update(e.conversation.id, { state: 'waiting', handoffRequestedAt: Z('2001-01-09T02:01:00Z') }));
        // F: an old closed conversation and a recent one: the old one goes, the citizen stays known.
        const f = await oldCitizen('telegram', `tg-old-${++seq}`, '2001-01-04T02:00:00Z');
        await store.contacts.update(f.contact.id, { phone: '081399990000' });
        await say(f, 'halo, nomor saya 081399990000', '2001-01-04T02:01:00Z');
        await closeAt(f, '2001-01-04T03:00:00Z');
        const fNow = { contact: (await store.contacts.upsert('telegram', f.contact.externalId))!, conversation: await store.conversations.open(f.contact) };
        await store.messages.add(inbound(fNow, 'saya kembali lagi'));

        const january = { from: Z('2001-01-01T00:00:00Z'), to: Z('2001-02-01T00:00:00Z'), timeZone: 'UTC' };
        const statsBefore = {
          conversations: await store.stats.conversationsPerDay(january),
          replies: await store.stats.repliesPerDay(january),
          tickets: await store.stats.ticketsBy(january, 'kecamatan'),
          statuses: await store.stats.ticketsBy(january, 'status'),
          categories: await store.stats.ticketsBy(january, 'category'),
          resolutions: await store.stats.resolutions(january),
        };
        const exportC = await store.privacy.exportContact(c.contact.id);
        const exportD = await store.privacy.exportContact(d.contact.id);
        const exportE = await store.privacy.exportContact(e.contact.id);

        // Three conversations are due (F's old one, B, A, oldest first), two per batch.
        const cutoff = Z('2002-01-01T00:00:00Z');
        const now = new Date();
        const first = await store.privacy.anonymiseBefore(cutoff, { limit: 2, now });
        expect(first).toMatchObject({ conversations: 2, more: true });
        const second = await store.privacy.anonymiseBefore(cutoff, { limit: 2, now });
        expect(second).toMatchObject({ conversations: 1, more: false });
        const total = (key: 'conversations' | 'messages' | 'tickets' | 'contacts' | 'files') => first[key] + second[key];
        expect({ conversations: total('conversations'), messages: total('messages'), tickets: total('tickets'), contacts: total('contacts'), files: total('files') }).toEqual({
          conversations: 3,
          messages: 5, // A 3, B 1, F 1
          tickets: 1,
          contacts: 2, // A and B; F is still talking to us
          files: 2,
        });

        // A: nothing left that names the citizen.
        const after = (await store.privacy.exportContact(a.contact.id))!;
        expect(after.contact).toEqual({ id: a.contact.id, channel: 'whatsapp', externalId: pseudonymFor(a.contact.id), createdAt: a.contact.createdAt, lastSeenAt: expect.any(Date) });
        expect(after.messages.map((m) => m.text)).toEqual([RETENTION_TEXT, RETENTION_TEXT, RETENTION_TEXT]);
        expect(after.messages.every((m) => m.attachments === undefined)).toBe(true);
        expect(after.messages.map((m) => [m.author, m.kind, m.createdAt.toISOString()])).toEqual([
          ['citizen', undefined, '2001-01-10T02:01:00.000Z'],
          ['citizen', undefined, '2001-01-10T02:02:00.000Z'],
          ['bot', 'complaint', '2001-01-10T02:03:00.000Z'],
        ]);
        expect(after.conversations).toEqual([
          expect.objectContaining({ state: 'closed', closedAt: Z('2001-01-13T02:00:00Z'), flow: null, memory: {}, lastTurn: null, externalId: pseudonymFor(a.contact.id), createdAt: a.conversation.createdAt }),
        ]);
        expect(after.notes.map((n) => n.text)).toEqual([RETENTION_TEXT]);
        expect(after.ratings.map((r) => r.score)).toEqual([5]);
        const ticket = (await store.tickets.byNumber(ticketA.number))!;
        expect(ticket).toEqual({
          ...ticketA,
          description: RETENTION_TEXT,
          reporterName: undefined,
          reporterPhone: undefined,
          kelurahan: undefined,
          attachments: [],
          status: 'selesai',
          events: [
            { at: expect.any(Date), actor: 'citizen', type: 'created' },
            { at: Z('2001-01-11T02:00:00Z'), actor: 'agent-1', type: 'note' },
            { at: Z('2001-01-12T02:00:00Z'), actor: 'agent-1', type: 'status', from: 'baru', to: 'selesai' },
          ],
          updatedAt: Z('2001-01-12T02:00:00Z'),
        });
        for (const key of ['reporterName', 'reporterPhone', 'kelurahan'] as const) expect(key in ticket).toBe(false);
        expect(await store.files.get(photo)).toBeNull();
        expect(await store.files.get(scan)).toBeNull();
        expect(await store.contacts.findByPhone(wa)).toEqual([]);
        expect(await store.privacy.findContacts({ phone: `0${wa.slice(2)}` })).toEqual([]);
        expect(await store.messages.search(NIK)).toEqual([]);
        // Writing again from the same number is a new citizen, with a new conversation.
        const again = await store.contacts.upsert('whatsapp', `${wa}@s.whatsapp.net`);
        expect(again.id).not.toBe(a.contact.id);
        expect((await store.conversations.open(again)).id).not.toBe(a.conversation.id);

        // B: closed when it went quiet, and pseudonymised.
        const bAfter = (await store.privacy.exportContact(b.contact.id))!;
        expect(bAfter.conversations[0]).toMatchObject({ state: 'closed', closedAt: Z('2001-01-05T02:01:00Z') });
        expect(bAfter.messages.map((m) => m.text)).toEqual([RETENTION_TEXT]);
        expect(bAfter.contact.externalId).toBe(pseudonymFor(b.contact.id));
        expect(bAfter.contact.name).toBeUndefined();
        // C (open ticket), D (ticket changed recently), E (waiting for an agent): untouched.
        expect(await store.privacy.exportContact(c.contact.id)).toEqual(exportC);
        expect(await store.privacy.exportContact(d.contact.id)).toEqual(exportD);
        expect(await store.privacy.exportContact(e.contact.id)).toEqual(exportE);
        // F: the old conversation anonymised, the citizen and today's conversation kept.
        const fAfter = (await store.privacy.exportContact(f.contact.id))!;
        expect(fAfter.contact).toMatchObject({ externalId: f.contact.externalId, name: 'Siti Aminah', phone: '081399990000' });
        expect(fAfter.messages.map((m) => m.text)).toEqual([RETENTION_TEXT, 'saya kembali lagi']);
        expect(fAfter.conversations.map((conversation) => conversation.state)).toEqual(['closed', 'bot']);

        // The dashboard's numbers for January 2001 are what they were.
        expect({
          conversations: await store.stats.conversationsPerDay(january),
          replies: await store.stats.repliesPerDay(january),
          tickets: await store.stats.ticketsBy(january, 'kecamatan'),
          statuses: await store.stats.ticketsBy(january, 'status'),
          categories: await store.stats.ticketsBy(january, 'category'),
          resolutions: await store.stats.resolutions(january),
        }).toEqual(statsBefore);
        expect(statsBefore.conversations.reduce((sum, row) => sum + row.count, 0)).toBe(6);
        expect(statsBefore.tickets).toEqual([
          { key: '-', count: 2 },
          { key: 'Palu Barat', count: 1 },
        ]);

        // Idempotent: nothing more is due, nothing changes.
        const snapshot = await store.privacy.exportContact(a.contact.id);
        expect(await store.privacy.anonymiseBefore(cutoff, { limit: 2 })).toEqual({ conversations: 0, messages: 0, tickets: 0, contacts: 0, files: 0, more: false });
        expect(await store.privacy.exportContact(a.contact.id)).toEqual(snapshot);
      });

      test('eraseContact: refused while a complaint is open or an agent is involved; then all of the contact is anonymised at once, whatever its age; twice is harmless', async () => {
        const g = await citizen('whatsapp');
        await store.contacts.update(g.contact.id, { name: 'Budi', phone: '081377776666' });
        const photo = await store.files.put(png, { fileName: 'bukti.png', mimeType: 'image/png' });
        await store.messages.add(inbound(g, `NIK ${NIK}`, { attachments: [{ kind: 'image', key: photo }] }));
        const t = await store.tickets.create(complaint(g, { reporterPhone: '081377776666', attachments: [{ kind: 'image', key: photo }] }));

        const blocked = await store.privacy.eraseContact(g.contact.id);
        expect(blocked).toEqual({ status: 'blocked', openTickets: [expect.objectContaining({ id: t.id, number: t.number })], activeConversations: [] });
        expect((await store.messages.list(g.conversation.id))[0]!.text).toBe(`NIK ${NIK}`);

        await store.tickets.update(t.id, { status: 'selesai' }, { actor: 'agent-1', type: 'status' });
        await store.conversations.update(g.conversation.id, { state: 'agent', assigneeId: 'agent-1' });
        const withAgent = await store.privacy.eraseContact(g.contact.id);
        expect(withAgent).toEqual({ status: 'blocked', openTickets: [], activeConversations: [expect.objectContaining({ id: g.conversation.id, state: 'agent' })] });

        // Back with the bot (an open conversation): erasing closes it.
        await store.conversations.update(g.conversation.id, { state: 'bot', assigneeId: null });
        const erased = await store.privacy.eraseContact(g.contact.id);
        expect(erased).toEqual({ status: 'erased', conversations: 1, messages: 1, tickets: 1, contacts: 1, files: 1 });
        const data = (await store.privacy.exportContact(g.contact.id))!;
        expect(data.contact).toEqual({ id: g.contact.id, channel: 'whatsapp', externalId: pseudonymFor(g.contact.id), createdAt: g.contact.createdAt, lastSeenAt: expect.any(Date) });
        expect(data.conversations[0]).toMatchObject({ state: 'closed', closedAt: expect.any(Date), externalId: pseudonymFor(g.contact.id) });
        expect(data.messages.map((m) => m.text)).toEqual([ERASURE_TEXT]);
        expect(data.tickets[0]).toMatchObject({ number: t.number, status: 'selesai', description: ERASURE_TEXT, attachments: [] });
        expect(data.tickets[0]!.reporterPhone).toBeUndefined();
        expect(await store.files.get(photo)).toBeNull();
        expect(await store.privacy.findContacts({ phone: '081377776666' })).toEqual([]);

        expect(await store.privacy.eraseContact(g.contact.id)).toEqual({ status: 'erased', conversations: 0, messages: 0, tickets: 0, contacts: 0, files: 0 });
        expect(await store.privacy.exportContact(g.contact.id)).toEqual(data);
        expect(await store.privacy.eraseContact('no-such-contact')).toEqual({ status: 'missing' });
        expect(await store.privacy.exportContact('no-such-contact')).toBeNull();
      });

      test('findContacts: the whole number in any spelling (given phone, WhatsApp number, phone on a ticket) and channel ids exactly, never a fragment', async () => {
        const number = `0813${String(Date.now()).slice(-8)}`;
        const canonical = `62${number.slice(1)}`;
        const w = await store.contacts.upsert('whatsapp', `${canonical}@s.whatsapp.net`);
        const telegramId = `9${String(Date.now()).slice(-8)}`;
        const t = await citizen('telegram');
        const tg = await store.contacts.upsert('telegram', telegramId);
        await store.contacts.update(tg.id, { phone: `+62 ${number.slice(1, 4)} ${number.slice(4, 8)} ${number.slice(8)}` });
        const r = await citizen('web'); // gave the number only when filing a complaint
        await store.tickets.create(complaint(r, { reporterPhone: number }));

        const ids = async (query: { phone?: string; externalId?: string }) => (await store.privacy.findContacts(query)).map((contact) => contact.id).sort();
        const expected = [w.id, tg.id, r.contact.id].sort();
        expect(await ids({ phone: number })).toEqual(expected);
        expect(await ids({ phone: `+${canonical}` })).toEqual(expected);
        expect(await ids({ phone: `${number.slice(0, 4)}-${number.slice(4, 8)}-${number.slice(8)}` })).toEqual(expected);
        expect(await ids({ phone: number.slice(0, -1) })).toEqual([]);
        expect(await ids({ phone: `${number}9` })).toEqual([]);
        expect(await ids({ externalId: telegramId })).toEqual([tg.id]);
        expect(await ids({ externalId: telegramId.slice(0, -1) })).toEqual([]);
        expect(await ids({ externalId: `${canonical}@s.whatsapp.net` })).toEqual([w.id]);
        expect(await ids({ externalId: t.contact.externalId, phone: number })).toEqual([...expected, t.contact.id].sort());
        expect(await ids({})).toEqual([]);
        // Most recently seen first.
        await store.contacts.upsert('whatsapp', `${canonical}@s.whatsapp.net`);
        expect((await store.privacy.findContacts({ phone: number }))[0]!.id).toBe(w.id);
      });

      test('exportContact: everything of one contact across its conversations, oldest first, and nobody else’s', async () => {
        const h = await citizen('web');
        const other = await citizen('web');
        const m1 = (await store.messages.add(inbound(h, 'pertama'))).message;
        const t = await store.tickets.create(complaint(h));
        await store.notes.add({ conversationId: h.conversation.id, authorId: 'agent-1', text: 'catatan' });
        await store.ratings.add({ conversationId: h.conversation.id, ticketId: t.id, score: 4 });
        await store.conversations.update(h.conversation.id, { state: 'closed', closedAt: new Date() });
        const second = await store.conversations.open(h.contact);
        const m2 = (await store.messages.add({ ...inbound(h, 'kedua'), conversationId: second.id })).message;
        const reply = (await store.messages.add({ ...inbound(h, 'balasan'), conversationId: second.id, direction: 'out', author: 'agent', authorId: 'agent-1' })).message;
        await store.messages.add(inbound(other, 'orang lain'));
        await store.tickets.create(complaint(other));

        const data = (await store.privacy.exportContact(h.contact.id))!;
        expect(data.contact).toEqual(h.contact);
        expect(data.conversations.map((c) => c.id)).toEqual([h.conversation.id, second.id]);
        expect(data.messages).toEqual([m1, m2, reply]);
        expect(data.tickets).toEqual([t]);
        expect(data.ratings).toEqual([expect.objectContaining({ conversationId: h.conversation.id, ticketId: t.id, score: 4 })]);
        expect(data.notes).toEqual([expect.objectContaining({ conversationId: h.conversation.id, text: 'catatan' })]);
      });
    });

    test('data survives closing and reopening the store', async () => {
      const c = await citizen();
      const message = (await store.messages.add(inbound(c, 'tersimpan', { platformMessageId: 'persist-1' }))).message;
      const ticket = await store.tickets.create(complaint(c, { createdAt: utc(2033) }));
      await store.knowledge.publish(entry('persist-entry', 'Tetap ada'), 'seed');
      await store.settings.put('persist', { ok: true });
      const revision = await store.knowledge.revision();
      const conversation = await store.conversations.get(c.conversation.id); // lastInboundAt moved with the message
      expect(conversation!.lastInboundAt).toEqual(message.createdAt);
      await store.close();

      store = await engine.open!();
      expect(await store.contacts.get(c.contact.id)).toEqual(c.contact);
      expect(await store.conversations.get(c.conversation.id)).toEqual(conversation);
      expect(await store.messages.get(message.id)).toEqual(message);
      expect((await store.messages.add(inbound(c, 'lagi', { platformMessageId: 'persist-1' }))).duplicate).toBe(true);
      expect(await store.tickets.byNumber(ticket.number)).toEqual(ticket);
      expect((await store.tickets.create(complaint(c, { createdAt: utc(2033, 2) }))).number).toBe('ADU-2033-000002');
      expect((await store.knowledge.get('persist-entry'))!.entry.title).toBe('Tetap ada');
      expect(await store.knowledge.revision()).toBe(revision);
      expect(await store.settings.get('persist')).toEqual({ ok: true });
    });
  });
});

/**
 * Starts `count` processes of a tests/helpers worker script, waits until each has opened
 * the database ("ready"), lets them all go at once, and returns each one's report (its
 * last stdout line, JSON). A worker that dies is reported with its stderr.
 */
async function raceWorkers<T>(script: string, argsOf: (index: number) => string[], count: number): Promise<T[]> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the child
  const workers = Array.from({ length: count }, (_, index) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `tests/helpers/${script}`, ...argsOf(index)], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => {}); // a worker that already died is reported by its exit code
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const lines: string[] = [];
    let onReady: () => void;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    createInterface({ input: child.stdout }).on('line', (line) => (line === 'ready' ? onReady() : lines.push(line)));
    const done = new Promise<T>((resolve, reject) =>
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(lines.at(-1)!) as T) : reject(new Error(`worker ${index} exited with ${code}: ${stderr}`)))),
    );
    done.catch(() => onReady()); // a worker that dies before "ready" must not hang the barrier
    return { child, ready, done };
  });
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.end('go\n');
  return Promise.all(workers.map((w) => w.done));
}

describe('sqlite store shared by several processes', () => {
  const WORKERS = 4;
  const TICKETS = 25;
  const dir = makeTempDir('siratu-multiproc-');
  const nextNumber = (number: string) => number.replace(/\d{6}$/, (seq) => String(Number(seq) + 1).padStart(6, '0'));
  afterAll(() => dir.remove());

  test(
    `${WORKERS} processes × ${TICKETS} tickets: numbers 1..${WORKERS * TICKETS} without gaps, one open conversation`,
    async () => {
      const file = join(dir.dir, 'shared.db'); // fresh: the workers also race to create the schema
      const reports = await raceWorkers<{ contactId: string; conversations: string[]; numbers: string[] }>(
        'store-worker.ts',
        (index) => [file, String(index), String(TICKETS)],
        WORKERS,
      );

      const contactIds = new Set(reports.map((r) => r.contactId));
      const conversationIds = new Set(reports.flatMap((r) => r.conversations));
      expect(contactIds.size).toBe(1);
      expect(conversationIds.size).toBe(1);

      // The workers really ran at the same time: someone's numbers are not one contiguous block.
      const interleaved = reports.some((r) => r.numbers.some((n, i) => i > 0 && n !== nextNumber(r.numbers[i - 1]!)));
      expect(interleaved).toBe(true);

      const reported = reports.flatMap((r) => r.numbers).sort();
      const expected = Array.from({ length: WORKERS * TICKETS }, (_, i) => `ADU-2026-${String(i + 1).padStart(6, '0')}`);
      expect(reported).toEqual(expected);

      const store = openSqliteStore({ file });
      try {
        const tickets = await store.tickets.list({});
        expect(tickets.map((t) => t.seq).sort((a, b) => a - b)).toEqual(expected.map((_, i) => i + 1));
        expect(tickets.map((t) => t.number).sort()).toEqual(expected);
        const [contactId] = [...contactIds];
        const open = (await store.conversations.list({ state: [...OPEN_STATES] })).filter((c) => c.contactId === contactId);
        expect(open.map((c) => c.id)).toEqual([...conversationIds]);
      } finally {
        await store.close();
      }
    },
    60_000,
  );
});

describe('sqlite job queue shared by several processes', () => {
  const dir = makeTempDir('siratu-jobs-multiproc-');
  afterAll(() => dir.remove());

  test('4 processes claiming from one queue of 100 jobs: each job is completed exactly once', async () => {
    const file = join(dir.dir, 'jobs.db');
    const setup = openSqliteStore({ file });
    const ids = Array.from({ length: 100 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    for (const id of ids) await setup.jobs.add({ id, queue: 'shared', data: { id } });
    await setup.close();

    const reports = await raceWorkers<string[]>('job-worker.ts', () => [file, 'shared'], 4);

    const all = reports.flat();
    expect(all).toHaveLength(100);
    expect([...all].sort()).toEqual(ids);
    expect(reports.filter((r) => r.length > 0).length).toBeGreaterThan(1); // they really competed
    const check = openSqliteStore({ file });
    try {
      expect(await check.jobs.counts('shared')).toEqual({ waiting: 0, active: 0, completed: 100, failed: 0, delayed: 0 });
      expect((await check.jobs.list({ queue: 'shared' })).every((job) => job.attempts === 1)).toBe(true);
    } finally {
      await check.close();
    }
    console.log(`jobs per worker: ${reports.map((r) => r.length).join(', ')}`);
  }, 60_000);
});

describe('sqlite: a database written before the inbox (schema 4) is migrated', () => {
  const dir = makeTempDir('siratu-migrate-');
  afterAll(() => dir.remove());

  test('conversations get labels [] and lastInboundAt from their latest inbound message; tickets dueAt null; users capacity 5; old messages and numbers are searchable', async () => {
    const file = join(dir.dir, 'old.db');
    const old = new Database(file);
    for (const migration of MIGRATIONS.slice(0, 4)) old.exec(migration);
    old.pragma('user_version = 4');
    const contact = old.prepare('INSERT INTO contacts (id, channel, external_id, name, phone, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    contact.run('C1', 'whatsapp', '6281298760001@s.whatsapp.net', 'Siti', null, 1000, 1000);
    contact.run('C2', 'telegram', '4242', null, '0812-9876-0002', 1000, 2000);
    const conversation = old.prepare(
      `INSERT INTO conversations (id, contact_id, channel, external_id, state, flow, memory, assignee_id, created_at, updated_at, last_message_at, version)
       VALUES (?, ?, ?, ?, ?, NULL, '{}', ?, 1000, 1000, 1000, 1)`,
    );
    conversation.run('V1', 'C1', 'whatsapp', '6281298760001@s.whatsapp.net', 'agent', 'agent-1');
    conversation.run('V2', 'C2', 'telegram', '4242', 'bot', null);
    const message = old.prepare(
      'INSERT INTO messages (id, conversation_id, contact_id, channel, direction, author, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    message.run('M1', 'V1', 'C1', 'whatsapp', 'in', 'citizen', 'KTP saya hilang', 1000);
    message.run('M2', 'V1', 'C1', 'whatsapp', 'out', 'bot', 'Bawa surat kehilangan', 2000);
    message.run('M3', 'V1', 'C1', 'whatsapp', 'in', 'citizen', 'baik, terima kasih', 3000);
    message.run('M4', 'V1', 'C1', 'whatsapp', 'out', 'agent', 'sama-sama', 4000);
    message.run('M5', 'V2', 'C2', 'telegram', 'out', 'bot', 'Selamat datang', 1500);
    old.prepare(
      `INSERT INTO tickets (id, number, year, seq, contact_id, conversation_id, channel, category, description, attachments, status, priority, events, created_at, updated_at)
       VALUES ('T1', 'ADU-2026-000001', 2026, 1, 'C1', 'V1', 'whatsapp', 'pelayanan', 'antre', '[]', 'baru', 'normal', '[]', 1000, 1000)`,
    ).run();
    old.prepare(
      `INSERT INTO users (id, username, display_name, role, password_hash, disabled, failed_logins, created_at, updated_at)
       VALUES ('U1', 'budi', 'Budi', 'agent', 'x', 0, 0, 1000, 1000)`,
    ).run();
    old.close();

    const store = openSqliteStore({ file });
    try {
      expect(await store.conversations.get('V1')).toMatchObject({ labels: [], lastInboundAt: new Date(3000), version: 1 });
      expect(await store.conversations.get('V2')).toMatchObject({ labels: [], lastInboundAt: null });
      expect(await store.tickets.get('T1')).toMatchObject({ dueAt: null, escalatedAt: null });
      expect((await store.users.get('U1'))!.capacity).toBe(5);
      // M2 is the bot's: dropped from the index by the migration that stopped indexing bot replies.
      expect((await store.messages.search('hilang')).map((m) => m.id)).toEqual(['M1']);
      expect((await store.messages.search('sama-sama')).map((m) => m.id)).toEqual(['M4']);
      expect((await store.contacts.findByPhone('08129876')).map((c) => c.id)).toEqual(['C2', 'C1']);
      expect(await store.messages.countInboundAfter('V1', 'M1')).toBe(1);
      expect(await store.conversations.countByAssignee('agent-1', ['agent'])).toBe(1);

      // And the migrated rows take part in everything new.
      await store.conversations.update('V1', { labels: ['pindah'] });
      expect((await store.conversations.list({ label: 'pindah' })).map((c) => c.id)).toEqual(['V1']);
      const later = (await store.messages.add({ conversationId: 'V1', contactId: 'C1', channel: 'whatsapp', direction: 'in', author: 'citizen', text: 'satu lagi' })).message;
      expect((await store.conversations.get('V1'))!.lastInboundAt).toEqual(later.createdAt);
      expect((await store.messages.search('satu lagi')).map((m) => m.id)).toEqual([later.id]);
    } finally {
      await store.close();
    }
    // Opening again runs nothing twice.
    const again = openSqliteStore({ file });
    expect((await again.conversations.list({ label: 'pindah' })).map((c) => c.id)).toEqual(['V1']);
    await again.close();
  });
});

describe('sqlite: the inbox queries use their indexes', () => {
  const dir = makeTempDir('siratu-plans-');
  let db: Database.Database;
  beforeAll(async () => {
    const file = join(dir.dir, 'plans.db');
    await openSqliteStore({ file }).close();
    db = new Database(file, { readonly: true });
  });
  afterAll(() => {
    db.close();
    dir.remove();
  });
  const plan = (query: Query | null) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${query!.text}`).all(...query!.params) as { detail: string }[]).map((row) => row.detail).join('\n');

  test('unread counts and capacity checks are covered index counts', () => {
    expect(plan({ text: INBOX_SQL.countInboundAfter, params: ['c', ''] })).toMatch(/USING COVERING INDEX messages_inbound/);
    expect(plan({ text: INBOX_SQL.countByAssignee, params: ['a', '["agent"]'] })).toMatch(/USING COVERING INDEX conversations_assignee/);
  });

  test('label, contact and state filters are index lookups; the waiting queue by activity needs no sort', () => {
    expect(plan(conversationListQuery({ label: 'mendesak', order: 'recent' }))).toMatch(/SEARCH conversation_labels USING PRIMARY KEY \(label=\?\)/);
    expect(plan(conversationListQuery({ contactIds: ['a', 'b'] }))).toMatch(/conversations_contact/);
    const waiting = plan(conversationListQuery({ state: ['waiting'], order: 'recent', limit: 20 }));
    expect(waiting).toMatch(/conversations_recent/);
    expect(waiting).not.toMatch(/TEMP B-TREE/);
  });

  test('overdue tickets come from the partial index; tickets by conversation and assignee by theirs', () => {
    expect(plan(ticketListQuery({ overdueAt: new Date() }))).toMatch(/USING INDEX tickets_overdue \(due_at<\?\)/);
    expect(plan(ticketListQuery({ overdueAt: new Date(), status: ['baru'], assigneeId: 'a' }))).toMatch(/tickets_overdue/);
    expect(plan(ticketListQuery({ conversationId: 'c' }))).toMatch(/tickets_conversation/);
    expect(plan(ticketListQuery({ assigneeId: 'a' }))).toMatch(/tickets_assignee/);
  });

  test('text search reads the trigram index newest first and stops at the limit (no sort of all matches)', () => {
    for (const text of ['hilang ktp', 'hilang kk']) {
      const search = plan(messageSearchQuery(text, 50));
      expect(search).toMatch(/SCAN s VIRTUAL TABLE/);
      expect(search).toMatch(/SEARCH m USING INDEX sqlite_autoindex_messages_1 \(id=\?\)/);
      expect(search).not.toMatch(/TEMP B-TREE/);
    }
    expect(messageSearchQuery(' ,; ', 50)).toBeNull();
  });
});

describe('sqlite unanswered groups shared by several processes', () => {
  const dir = makeTempDir('siratu-unanswered-multiproc-');
  afterAll(() => dir.remove());

  test('4 processes × 25 messages into one group: every message counted, the latest 20 kept', async () => {
    const file = join(dir.dir, 'unanswered.db');
    const setup = openSqliteStore({ file });
    const group = await setup.unanswered.record({ text: 'pertama', stems: ['urus', 'surat'], at: new Date() });
    await setup.close();

    const reports = await raceWorkers<number[]>('unanswered-worker.ts', (index) => [file, group.id, String(index), '25'], 4);

    // Each record saw a distinct count: no two read-modify-writes overlapped.
    expect(reports.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    const check = openSqliteStore({ file });
    try {
      const final = await check.unanswered.get(group.id);
      expect(final!.count).toBe(101);
      expect(final!.samples).toHaveLength(20);
      expect(final!.samples).not.toContain('pertama');
    } finally {
      await check.close();
    }
  }, 60_000);
});

describe('sqlite: a database written before issue 5 (schema 5) is migrated', () => {
  const dir = makeTempDir('siratu-migrate5-');
  afterAll(() => dir.remove());

  test('entries stay published; handoffs and resolved tickets written before count in the dashboard', async () => {
    const file = join(dir.dir, 'old5.db');
    const old = new Database(file);
    old.function('siratu_phone_keys', (_channel: unknown, _externalId: unknown, _phone: unknown) => null);
    for (const migration of MIGRATIONS.slice(0, 5)) old.exec(migration);
    old.pragma('user_version = 5');
    old.prepare("INSERT INTO entry_versions (entry_id, version, entry, published_by, at) VALUES ('ktp-baru', 1, ?, 'seed', 1000)").run(
      JSON.stringify(entry('ktp-baru', 'KTP-el baru')),
    );
    old.prepare("INSERT INTO contacts (id, channel, external_id, created_at, last_seen_at) VALUES ('C1', 'web', 's1', 1000, 1000)").run();
    const requested = Date.parse('2019-06-10T02:00:00.000Z');
    old.prepare(
      `INSERT INTO conversations (id, contact_id, channel, external_id, state, memory, created_at, updated_at, last_message_at, version, handoff_requested_at)
       VALUES ('V1', 'C1', 'web', 's1', 'agent', '{}', 1000, 1000, 1000, 1, ?)`,
    ).run(requested);
    old.prepare(
      "INSERT INTO messages (id, conversation_id, contact_id, channel, direction, author, text, created_at) VALUES ('M1', 'V1', 'C1', 'web', 'out', 'agent', 'halo', ?)",
    ).run(requested + 60_000);
    const events = [
      { at: '2019-06-09T17:00:00.000Z', actor: 'citizen', type: 'created' },
      { at: '2019-06-10T01:00:00.000Z', actor: 'a', type: 'status', from: 'baru', to: 'selesai' },
      { at: '2019-06-10T02:00:00.000Z', actor: 'a', type: 'status', from: 'selesai', to: 'diproses' },
      { at: '2019-06-11T03:04:05.678Z', actor: 'a', type: 'status', from: 'diproses', to: 'selesai' },
    ];
    const ticket = old.prepare(
      `INSERT INTO tickets (id, number, year, seq, contact_id, conversation_id, channel, category, description, attachments, status, priority, events, created_at, updated_at, due_at)
       VALUES (?, ?, 2019, ?, 'C1', 'V1', 'web', 'pelayanan', 'antre', '[]', ?, 'normal', ?, ?, ?, ?)`,
    );
    ticket.run('T1', 'ADU-2019-000001', 1, 'selesai', JSON.stringify(events), Date.parse('2019-06-09T17:00:00.000Z'), 1000, Date.parse('2019-06-12T00:00:00.000Z'));
    ticket.run('T2', 'ADU-2019-000002', 2, 'baru', JSON.stringify(events.slice(0, 1)), Date.parse('2019-06-10T17:00:00.000Z'), 1000, null);
    old.close();

    const store = openSqliteStore({ file });
    try {
      const range = { from: new Date('2019-06-09T16:00:00.000Z'), to: new Date('2019-06-12T16:00:00.000Z'), timeZone: 'Asia/Makassar' };
      expect((await store.knowledge.published()).map((e) => e.id)).toEqual(['ktp-baru']);
      expect((await store.knowledge.get('ktp-baru'))!.withdrawn).toBeUndefined();
      expect(await store.stats.firstResponses(range)).toEqual([{ requestedAt: new Date(requested), respondedAt: new Date(requested + 60_000) }]);
      expect(await store.stats.resolutions(range)).toEqual([
        { createdAt: new Date('2019-06-09T17:00:00.000Z'), resolvedAt: new Date('2019-06-11T03:04:05.678Z'), withinDue: true },
      ]);
      expect(await store.stats.ticketsBy(range, 'status')).toEqual([{ key: 'baru', count: 1 }, { key: 'selesai', count: 1 }]);
      // And what is new works on the old data.
      expect(await store.knowledge.withdraw('ktp-baru', 'admin')).toBe(true);
      expect(await store.knowledge.published()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('sqlite: the issue 5 queries use their indexes', () => {
  const dir = makeTempDir('siratu-plans5-');
  let db: Database.Database;
  beforeAll(async () => {
    const file = join(dir.dir, 'plans.db');
    await openSqliteStore({ file }).close();
    db = new Database(file, { readonly: true });
    db.function('siratu_day', (_at: unknown, _zone: unknown) => ''); // as the store registers it
  });
  afterAll(() => {
    db.close();
    dir.remove();
  });
  const plan = (text: string, params: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[]).map((row) => row.detail).join('\n');

  test('dashboard numbers read their range from an index (covering where it can be), never the whole table', () => {
    const perDay = (text: string) => plan(text, ['Asia/Makassar', 0, 1]);
    const inRange = (text: string) => plan(text, [0, 1]);
    expect(perDay(STATS_SQL.conversationsPerDay)).toMatch(/SEARCH conversations USING COVERING INDEX conversations_created \(created_at>\? AND created_at<\?\)/);
    expect(perDay(STATS_SQL.repliesPerDay)).toMatch(/SEARCH messages USING INDEX messages_turns \(created_at>\? AND created_at<\?\)/);
    expect(inRange(STATS_SQL.answersPerEntry)).toMatch(/SEARCH messages USING INDEX messages_answers \(created_at>\? AND created_at<\?\)/);
    for (const text of Object.values(STATS_SQL.ticketsBy)) expect(inRange(text)).toMatch(/SEARCH tickets USING COVERING INDEX tickets_created \(created_at>\? AND created_at<\?\)/);
    const first = inRange(STATS_SQL.firstResponses);
    expect(first).toMatch(/SEARCH c USING INDEX conversations_handoff \(last_handoff_at>\? AND last_handoff_at<\?\)/);
    expect(first).toMatch(/SEARCH m USING COVERING INDEX messages_agent \(conversation_id=\? AND created_at>\?\)/);
    expect(inRange(STATS_SQL.resolutions)).toMatch(/SEARCH tickets USING INDEX tickets_resolved \(resolved_at>\? AND resolved_at<\?\)/);
    const all = [STATS_SQL.conversationsPerDay, STATS_SQL.repliesPerDay].map(perDay).concat(
      [STATS_SQL.answersPerEntry, ...Object.values(STATS_SQL.ticketsBy), STATS_SQL.firstResponses, STATS_SQL.resolutions].map(inRange),
    );
    for (const text of all) expect(text).not.toMatch(/^SCAN/m);
  });

  test('the audit log reads newest first from the index of its filter, pages included, without sorting', () => {
    const audit = (filter: Parameters<Store['audit']['list']>[0]) => {
      const query = auditListQuery(filter);
      return plan(query.text, query.params);
    };
    expect(audit({ limit: 50 })).toMatch(/SCAN audit_events USING INDEX audit_at/);
    expect(audit({ from: new Date(0), to: new Date(), beforeId: 'x' })).toMatch(/SEARCH audit_events USING INDEX audit_at \(at>\? AND at<\?\)/);
    expect(audit({ actorId: 'a', beforeId: 'x' })).toMatch(/SEARCH audit_events USING INDEX audit_actor \(actor_id=\? AND at<\?\)/);
    expect(audit({ action: 'entry.publish' })).toMatch(/audit_action \(action=\?\)/);
    expect(audit({ target: 'ktp-baru', from: new Date(0) })).toMatch(/audit_target \(target=\? AND at>\?\)/);
    for (const filter of [{}, { actorId: 'a' }, { action: 'x', beforeId: 'y' }, { target: 't' }]) expect(audit(filter)).not.toMatch(/TEMP B-TREE/);
  });

  test('drafts by status, entry and author, and the open unanswered groups, come from their indexes in order', () => {
    const cases: [Parameters<Store['drafts']['list']>[0], string][] = [
      [{ status: ['submitted'] }, 'drafts_status'],
      [{ entryId: 'e' }, 'drafts_entry'],
      [{ authorId: 'a' }, 'drafts_author'],
    ];
    for (const [filter, index] of cases) {
      const query = draftListQuery(filter);
      expect(plan(query.text, query.params)).toMatch(new RegExp(`USING INDEX ${index}`));
    }
    const open = plan(UNANSWERED_SQL.open, [20]);
    expect(open).toMatch(/SCAN unanswered_groups USING INDEX unanswered_open/);
    expect(open).not.toMatch(/TEMP B-TREE/);
  });
});

describe('sqlite: the retention query uses its index', () => {
  const dir = makeTempDir('siratu-plans6-');
  afterAll(() => dir.remove());

  test('due conversations come from conversations_retention in order; their tickets by conversation', async () => {
    const file = join(dir.dir, 'plans.db');
    await openSqliteStore({ file }).close();
    const db = new Database(file, { readonly: true });
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${PRIVACY_SQL.due}`).all(1, 1, 1, 100) as { detail: string }[]).map((row) => row.detail).join('\n');
      expect(plan).toMatch(/SEARCH conversations USING INDEX conversations_retention \(last_message_at<\?\)/);
      expect(plan).toMatch(/SEARCH t USING INDEX tickets_conversation \(conversation_id=\?\)/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });
});

describe('openStore', () => {
  test('without a MongoDB URI it opens SQLite at <dataDir>/siratu.db, creating the directory', async () => {
    const dir = makeTempDir('siratu-open-');
    try {
      const dataDir = join(dir.dir, 'nested', 'data');
      const store = await openStore({ dataDir });
      expect(store.engine).toBe('sqlite');
      await store.settings.put('hello', 'world');
      await store.close();
      expect(existsSync(join(dataDir, 'siratu.db'))).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
