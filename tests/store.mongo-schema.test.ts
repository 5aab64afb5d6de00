/**
 * The MongoDB engine's guarantees rest on its indexes and validators. No
 * server exists on the development machines, so this checks them offline:
 * real mongoose models compiled on a connection that is never opened.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import mongoose from 'mongoose';
import {
  buildAuditEvent,
  buildCannedResponse,
  buildConversation,
  buildDraft,
  buildJob,
  buildMessage,
  buildNote,
  buildRating,
  buildTicket,
  buildUnansweredGroup,
  buildUser,
  newId,
  pseudonymFor,
  RETENTION_TEXT,
} from '../bot/store/ids.js';
import {
  anonymisedConversationUpdate,
  anonymisedTicketUpdate,
  auditListFilter,
  buildModels,
  contactPhoneFilter,
  conversationListFilter,
  draftListFilter,
  fromDoc,
  messageSearchFilter,
  retentionPipeline,
  schemas,
  statsPipelines,
  ticketListFilter,
} from '../bot/store/mongo.js';
import type { AuditEvent, Contact, Conversation, Draft, Message, Ticket, UnansweredGroup } from '../bot/store/types.js';
import type { Entry } from '../knowledge/schema.js';

const connection = mongoose.createConnection();
const models = buildModels(connection);
afterAll(() => connection.close());

/** The declared index on exactly these keys, with its options. */
function index(schema: mongoose.Schema, keys: Record<string, 1 | -1>) {
  const found = schema.indexes().find(([fields]) => JSON.stringify(fields) === JSON.stringify(keys));
  if (!found) throw new Error(`no index on ${JSON.stringify(keys)}`);
  return found[1];
}

const contact: Contact = { id: newId(), channel: 'telegram', externalId: '42', createdAt: new Date(), lastSeenAt: new Date() };
const asDoc = <T extends { id: string }>({ id, ...rest }: T) => ({ _id: id, ...rest });
const ticketRecord = () =>
  buildTicket({ contactId: contact.id, conversationId: newId(), channel: 'telegram', category: 'pelayanan', description: 'Antre lama' }, 7);
const messageRecord = () =>
  buildMessage({ conversationId: newId(), contactId: contact.id, channel: 'telegram', direction: 'in', author: 'citizen', text: 'halo' });

describe('mongo schemas: the indexes behind the contract', () => {
  test('contacts are unique per (channel, externalId)', () => {
    expect(index(schemas.contact, { channel: 1, externalId: 1 })).toMatchObject({ unique: true });
  });

  test('at most one open conversation per contact: unique openKey, only where it is set', () => {
    expect(index(schemas.conversation, { openKey: 1 })).toEqual({
      unique: true,
      partialFilterExpression: { openKey: { $exists: true } },
    });
  });

  test('inbound messages are unique per (channel, platformMessageId) when they have one', () => {
    expect(index(schemas.message, { channel: 1, platformMessageId: 1 })).toEqual({
      unique: true,
      partialFilterExpression: { direction: 'in', platformMessageId: { $exists: true } },
    });
    expect(index(schemas.message, { conversationId: 1, _id: 1 })).toBeDefined();
    expect(index(schemas.message, { contactId: 1, _id: 1 })).toBeDefined();
  });

  test('ticket numbers are unique, (year, seq) is unique, and a source message files one ticket', () => {
    expect(index(schemas.ticket, { number: 1 })).toMatchObject({ unique: true });
    expect(index(schemas.ticket, { year: 1, seq: 1 })).toMatchObject({ unique: true });
    expect(index(schemas.ticket, { sourceMessageId: 1 })).toEqual({
      unique: true,
      partialFilterExpression: { sourceMessageId: { $type: 'string' } },
    });
  });

  test('entry versions are unique per (entryId, version)', () => {
    expect(index(schemas.entryVersion, { entryId: 1, version: -1 })).toMatchObject({ unique: true });
  });

  test('the models compile on a connection under their own collections', () => {
    expect(Object.fromEntries(Object.entries(models).map(([name, model]) => [name, model.collection.collectionName]))).toEqual({
      Contact: 'contacts',
      Conversation: 'conversations',
      Message: 'messages',
      Ticket: 'tickets',
      EntryVersion: 'entry_versions',
      Counter: 'counters',
      Setting: 'settings',
      Job: 'jobs',
      KeyValue: 'key_values',
      User: 'users',
      Session: 'sessions',
      Note: 'notes',
      CannedResponse: 'canned_responses',
      ReadMarker: 'read_markers',
      Rating: 'ratings',
      Draft: 'drafts',
      UnansweredGroup: 'unanswered_groups',
      AuditEvent: 'audit_events',
    });
  });

  test('jobs: claim() finds due and expired jobs per queue by index; lists newest first', () => {
    expect(index(schemas.job, { queue: 1, status: 1, runAt: 1 })).toBeDefined();
    expect(index(schemas.job, { queue: 1, status: 1, leaseUntil: 1 })).toBeDefined();
    expect(index(schemas.job, { queue: 1, createdAt: -1 })).toBeDefined();
  });

  test('key-values are unique per (namespace, key); usernames are unique; sessions expire by TTL', () => {
    expect(index(schemas.keyValue, { namespace: 1, key: 1 })).toMatchObject({ unique: true });
    expect(index(schemas.user, { username: 1 })).toMatchObject({ unique: true });
    expect(index(schemas.session, { userId: 1 })).toBeDefined();
    expect(index(schemas.session, { expiresAt: 1 })).toMatchObject({ expireAfterSeconds: 0 });
  });

  test('failed deliveries are found by index', () => {
    expect(index(schemas.message, { 'delivery.status': 1, _id: -1 })).toMatchObject({ partialFilterExpression: { 'delivery.status': { $exists: true } } });
  });
});

describe('mongo schemas: the inbox (issue 4) is indexed', () => {
  test('inbox views by state and activity, by label (multikey), and capacity counts per agent', () => {
    expect(index(schemas.conversation, { state: 1, lastMessageAt: -1 })).toBeDefined();
    expect(index(schemas.conversation, { labels: 1, lastMessageAt: -1 })).toBeDefined();
    expect(schemas.conversation.path('labels').instance).toBe('Array'); // one index key per label
    expect(index(schemas.conversation, { assigneeId: 1, state: 1 })).toBeDefined();
  });

  test('unread counts are an index-only count; phone search runs over the canonical numbers’ index keys', () => {
    expect(index(schemas.message, { conversationId: 1, direction: 1, _id: 1 })).toBeDefined();
    expect(index(schemas.contact, { phoneKeys: 1 })).toBeDefined();
    expect(schemas.contact.path('phoneKeys').instance).toBe('Array');
  });

  test('tickets by conversation, by assignee, and overdue (not escalated, due before) by index', () => {
    expect(index(schemas.ticket, { conversationId: 1, _id: -1 })).toBeDefined();
    expect(index(schemas.ticket, { assigneeId: 1, _id: -1 })).toBeDefined();
    expect(index(schemas.ticket, { escalatedAt: 1, dueAt: 1 })).toBeDefined();
    // The overdue query: equality on escalatedAt, a range on dueAt (the index's order), status checked after.
    const query = ticketListFilter({ overdueAt: new Date('2040-02-01T00:00:00.000Z') });
    expect(query).toEqual({ escalatedAt: null, dueAt: { $lt: new Date('2040-02-01T00:00:00.000Z') }, status: { $in: ['baru', 'diproses', 'menunggu_warga'] } });
    expect(ticketListFilter({ overdueAt: new Date(0), status: ['baru', 'selesai'] }).status).toEqual({ $in: ['baru'] });
    expect(ticketListFilter({ overdueAt: new Date(0), status: ['ditutup'] }).status).toEqual({ $in: [] });
    expect(ticketListFilter({ conversationId: 'c', assigneeId: 'a', contactId: undefined })).toEqual({ conversationId: 'c', assigneeId: 'a' });
  });

  test('notes, canned responses (unique shortcut per owner, null = shared), read markers and ratings (one per conversation and ticket)', () => {
    expect(index(schemas.note, { conversationId: 1, _id: 1 })).toBeDefined();
    expect(index(schemas.cannedResponse, { ownerId: 1, shortcut: 1 })).toMatchObject({ unique: true });
    expect(index(schemas.readMarker, { userId: 1, conversationId: 1 })).toMatchObject({ unique: true });
    expect(index(schemas.rating, { conversationId: 1, ticketId: 1 })).toMatchObject({ unique: true });
    expect(index(schemas.rating, { createdAt: -1 })).toBeDefined();
  });
});

describe('mongo queries of the inbox', () => {
  test('search: every word a case-insensitive literal substring (regex characters escaped)', () => {
    const filter = messageSearchFilter('Hilang, rt.05 (x ') as { $and: { text: { $regex: string; $options: string } }[] };
    expect(filter.$and.map((term) => term.text)).toEqual([
      { $regex: 'hilang', $options: 'i' },
      { $regex: 'rt\\.05', $options: 'i' },
      { $regex: 'x', $options: 'i' },
    ]);
    const matches = (text: string) => filter.$and.every(({ text: { $regex, $options } }) => new RegExp($regex, $options).test(text));
    expect(matches('KEHILANGAN KTP di RT.05, x')).toBe(true);
    expect(matches('kehilangan di rtx05, x')).toBe(false);
    expect(messageSearchFilter('  ')).toBeNull();
  });

  test('phone search: the digits as given and, from 0…, as 62…', () => {
    expect(contactPhoneFilter('0812-345')).toEqual({ phoneKeys: { $regex: '0812345|62812345' } });
    expect(contactPhoneFilter('+62 812')).toEqual({ phoneKeys: { $regex: '62812' } });
    expect(contactPhoneFilter('12')).toBeNull();
  });

  test('conversation lists: label lower case, contacts, latest activity first', () => {
    expect(conversationListFilter({ label: ' Mendesak', contactIds: ['a'], order: 'recent', state: ['waiting'] })).toEqual({
      query: { labels: 'mendesak', contactId: { $in: ['a'] }, state: { $in: ['waiting'] } },
      sort: { lastMessageAt: -1, _id: -1 },
    });
    expect(conversationListFilter({}).sort).toEqual({ _id: 1 });
  });
});

describe('mongo schemas: validation', () => {
  test('the records the store builds are valid', async () => {
    await expect(new models.Contact(asDoc(contact)).validate()).resolves.toBeUndefined();
    await expect(new models.Conversation(asDoc(buildConversation(contact))).validate()).resolves.toBeUndefined();
    await expect(new models.Message(asDoc(messageRecord())).validate()).resolves.toBeUndefined();
    await expect(new models.Message(asDoc({ ...messageRecord(), text: '' })).validate()).resolves.toBeUndefined();
    await expect(new models.Ticket(asDoc(ticketRecord())).validate()).resolves.toBeUndefined();
    await expect(new models.Job(asDoc(buildJob({ queue: 'deliver:telegram', data: { messageId: 'm', to: '42' } }))).validate()).resolves.toBeUndefined();
    await expect(new models.User(asDoc(buildUser({ username: 'Admin', displayName: 'Admin', role: 'admin', passwordHash: 'x' }))).validate()).resolves.toBeUndefined();
    const delivery = { status: 'sent', attempts: 1, sentParts: 1, platformMessageIds: ['1'], sentAt: new Date(), updatedAt: new Date() };
    await expect(new models.Message({ ...asDoc(messageRecord()), delivery }).validate()).resolves.toBeUndefined();
    await expect(new models.Message({ ...asDoc(messageRecord()), delivery: { ...delivery, status: 'lost' } }).validate()).rejects.toThrow(/status/);
    await expect(new models.Job({ ...asDoc(buildJob({ queue: 'q', data: 1 })), status: 'sleeping' }).validate()).rejects.toThrow(/status/);
    await expect(new models.User({ ...asDoc(buildUser({ username: 'a', displayName: 'A', role: 'agent', passwordHash: 'x' })), role: 'root' }).validate()).rejects.toThrow(/role/);
  });

  test('the inbox records are valid; scores, capacities and shortcuts are checked', async () => {
    const user = asDoc(buildUser({ username: 'agen', displayName: 'Agen', role: 'agent', passwordHash: 'x', capacity: 3 }));
    await expect(new models.User(user).validate()).resolves.toBeUndefined();
    await expect(new models.User({ ...user, capacity: -1 }).validate()).rejects.toThrow(/capacity/);
    await expect(new models.User({ ...user, capacity: 1.5 }).validate()).rejects.toThrow(/capacity/);
    const { capacity: _capacity, ...withoutCapacity } = user;
    expect(new models.User(withoutCapacity).toObject().capacity).toBe(5);
    await expect(new models.Note(asDoc(buildNote({ conversationId: newId(), authorId: 'u1', text: 'catatan' }))).validate()).resolves.toBeUndefined();
    const canned = asDoc(buildCannedResponse({ shortcut: '/Salam', title: 'Salam', text: 'Selamat pagi', ownerId: null }));
    await expect(new models.CannedResponse(canned).validate()).resolves.toBeUndefined();
    await expect(new models.CannedResponse({ ...canned, shortcut: 'dua kata' }).validate()).rejects.toThrow(/shortcut/);
    const rating = asDoc(buildRating({ conversationId: newId(), score: 5 }));
    await expect(new models.Rating(rating).validate()).resolves.toBeUndefined();
    await expect(new models.Rating({ ...rating, score: 6 }).validate()).rejects.toThrow(/score/);
    await expect(new models.ReadMarker({ userId: 'u1', conversationId: 'c1', messageId: newId(), updatedAt: new Date() }).validate()).resolves.toBeUndefined();
    const ticket = asDoc({ ...ticketRecord(), dueAt: new Date(), escalatedAt: new Date() });
    await expect(new models.Ticket(ticket).validate()).resolves.toBeUndefined();
  });

  test('a ticket without a number, or with a malformed one, is rejected', async () => {
    const { number: _number, ...withoutNumber } = asDoc(ticketRecord());
    await expect(new models.Ticket(withoutNumber).validate()).rejects.toThrow(/number.*required/);
    await expect(new models.Ticket({ ...asDoc(ticketRecord()), number: 'ADU-26-7' }).validate()).rejects.toThrow(/number/);
  });

  test('unknown enum values are rejected', async () => {
    await expect(new models.Message({ ...asDoc(messageRecord()), direction: 'sideways' }).validate()).rejects.toThrow(/direction/);
    await expect(new models.Message({ ...asDoc(messageRecord()), channel: 'fax' }).validate()).rejects.toThrow(/channel/);
    await expect(new models.Conversation({ ...asDoc(buildConversation(contact)), state: 'paused' }).validate()).rejects.toThrow(/state/);
    await expect(new models.Ticket({ ...asDoc(ticketRecord()), status: 'lost' }).validate()).rejects.toThrow(/status/);
    const badEvent = { ...asDoc(ticketRecord()), events: [{ at: new Date(), actor: 'x', type: 'teleported' }] };
    await expect(new models.Ticket(badEvent).validate()).rejects.toThrow(/type/);
  });

  test('required fields are enforced', async () => {
    const { contactId: _contactId, ...withoutContact } = asDoc(messageRecord());
    await expect(new models.Message(withoutContact).validate()).rejects.toThrow(/contactId/);
    const { description: _description, ...withoutDescription } = asDoc(ticketRecord());
    await expect(new models.Ticket(withoutDescription).validate()).rejects.toThrow(/description/);
    await expect(new models.EntryVersion({ entryId: 'ktp-baru', version: 1, by: 'seed', at: new Date() }).validate()).rejects.toThrow(
      /entry/,
    );
  });
});

describe('mongo documents → interface objects', () => {
  test('_id becomes id, nothing internal leaks, dates stay Dates, absent optionals stay absent', () => {
    const ticket = ticketRecord();
    expect(fromDoc<Ticket>(new models.Ticket(asDoc(ticket)).toObject())).toEqual(ticket);

    const message = messageRecord();
    const plain = fromDoc<Message>(new models.Message(asDoc(message)).toObject());
    expect(plain).toEqual(message);
    expect(Object.keys(plain)).not.toContain('options');
    expect(Object.keys(plain)).not.toContain('attachments');
    expect(Object.keys(plain)).not.toContain('delivery');

    const conversation = buildConversation(contact);
    const stored = { ...new models.Conversation({ ...asDoc(conversation), openKey: contact.id }).toObject(), __v: 0 };
    const back = fromDoc<Conversation>(stored);
    expect(back).toEqual(conversation);
    expect(Object.keys(back).filter((key) => ['_id', '__v', 'openKey'].includes(key))).toEqual([]);
    expect(back.createdAt).toBeInstanceOf(Date);
    expect(back).toMatchObject({ labels: [], lastInboundAt: null });
    expect(fromDoc<Ticket>(new models.Ticket(asDoc(ticket)).toObject())).toMatchObject({ dueAt: null, escalatedAt: null });

    const withKeys = fromDoc<Contact>(new models.Contact({ ...asDoc(contact), phoneKeys: ['6281234567890'] }).toObject());
    expect(withKeys).toEqual(contact); // the search keys stay inside the engine
  });
});

const sampleEntry = { id: 'ktp-hilang', title: 'KTP-el hilang', document: 'ktp', situations: ['hilang'], summary: 'Penggantian KTP-el yang hilang.', requirements: ['Surat kehilangan'], steps: ['Datang'], where: 'Kantor', cost: 'Gratis', processingTime: '1 hari', legalBasis: ['Perpres 96/2018'], specialCases: [], phrases: [], related: [], lastReviewed: '2026-01-15', reviewIntervalDays: 180 } satisfies Entry;

describe('mongo schemas: the knowledge-base editor, the unanswered loop, the audit log and the dashboard (issue 5) are indexed', () => {
  test('drafts by status (the review queue), entry and author, newest first', () => {
    expect(index(schemas.draft, { status: 1, _id: -1 })).toBeDefined();
    expect(index(schemas.draft, { entryId: 1, _id: -1 })).toBeDefined();
    expect(index(schemas.draft, { authorId: 1, _id: -1 })).toBeDefined();
    expect(draftListFilter({ status: ['submitted'], entryId: 'ktp-hilang', authorId: undefined, limit: 5 })).toEqual({ entryId: 'ktp-hilang', status: { $in: ['submitted'] } });
    expect(draftListFilter({})).toEqual({});
  });

  test('the open unanswered groups in index order: most often, then most recently seen', () => {
    expect(index(schemas.unansweredGroup, { status: 1, count: -1, lastSeen: -1, _id: 1 })).toBeDefined();
  });

  test('the audit log newest first, unfiltered or by actor, action or target; keyset paging continues in the same order', () => {
    expect(index(schemas.auditEvent, { at: -1, _id: -1 })).toBeDefined();
    expect(index(schemas.auditEvent, { actorId: 1, at: -1, _id: -1 })).toBeDefined();
    expect(index(schemas.auditEvent, { action: 1, at: -1, _id: -1 })).toBeDefined();
    expect(index(schemas.auditEvent, { target: 1, at: -1, _id: -1 })).toBeDefined();
    const from = new Date('2040-01-01T00:00:00.000Z');
    const before = { _id: '01J0000000000000000000000B', at: new Date('2040-01-02T00:00:00.000Z') };
    expect(auditListFilter({ actorId: 'a', from, limit: 10 }, before)).toEqual({
      actorId: 'a',
      at: { $gte: from },
      $or: [{ at: { $lt: before.at } }, { at: before.at, _id: { $lt: before._id } }],
    });
    expect(auditListFilter({ action: 'entry.publish', target: 'ktp-baru', to: from })).toEqual({ action: 'entry.publish', target: 'ktp-baru', at: { $lt: from } });
    expect(auditListFilter({})).toEqual({});
  });

  test('dashboard ranges start on indexed dates: conversations, bot and agent messages, tickets created and resolved', () => {
    expect(index(schemas.conversation, { createdAt: 1, channel: 1 })).toBeDefined();
    expect(index(schemas.conversation, { lastHandoffAt: 1 })).toBeDefined();
    expect(index(schemas.message, { author: 1, createdAt: 1 })).toBeDefined();
    expect(index(schemas.message, { conversationId: 1, author: 1, createdAt: 1 })).toBeDefined();
    expect(index(schemas.ticket, { createdAt: 1 })).toBeDefined();
    expect(index(schemas.ticket, { resolvedAt: 1 })).toEqual({ partialFilterExpression: { resolvedAt: { $exists: true } } });
    expect(index(schemas.entryVersion, { entryId: 1, version: -1 })).toMatchObject({ unique: true }); // published(): latest per entry, withdrawn or not
  });
});

describe('mongo dashboard pipelines', () => {
  const range = { from: new Date('2019-06-09T16:00:00.000Z'), to: new Date('2019-06-12T16:00:00.000Z'), timeZone: 'Asia/Makassar' };
  const within = { $gte: range.from, $lt: range.to };
  const day = (field: string) => ({ $dateToString: { format: '%Y-%m-%d', date: field, timezone: 'Asia/Makassar' } });

  test('per day: a range match first (an index), days in the office zone, ordered by day then key', () => {
    expect(statsPipelines.conversationsPerDay(range)).toEqual([
      { $match: { createdAt: within } },
      { $group: { _id: { day: day('$createdAt'), channel: '$channel' }, count: { $sum: 1 } } },
      { $project: { _id: 0, day: '$_id.day', channel: '$_id.channel', count: 1 } },
      { $sort: { day: 1, channel: 1 } },
    ]);
    const replies = statsPipelines.repliesPerDay(range);
    expect(replies[0]).toEqual({ $match: { author: 'bot', createdAt: within, _id: { $regex: '-01$' }, kind: { $type: 'string' } } });
    expect(replies[1]).toEqual({ $group: { _id: { day: day('$createdAt'), kind: '$kind' }, count: { $sum: 1 } } });
    expect(replies.at(-1)).toEqual({ $sort: { day: 1, kind: 1 } });
    // The first-reply test matches reply ids as the dispatcher makes them, and nothing else.
    const firstReply = new RegExp(replies[0]!.$match!._id.$regex);
    expect(['01J8X0AAAAAAAAAAAAAAAAAAAA-01'].every((id) => firstReply.test(id))).toBe(true);
    expect(['01J8X0AAAAAAAAAAAAAAAAAAAA-02', '01J8X0AAAAAAAAAAAAAAAAAA01', '01J8X0AAAAAAAAAAAAAAAAAAAA-011'].some((id) => firstReply.test(id))).toBe(false);
  });

  test('answers per entry, most often first; tickets by field ("-" for no kecamatan), by key', () => {
    expect(statsPipelines.answersPerEntry(range)[0]).toEqual({ $match: { author: 'bot', createdAt: within, kind: 'answer', entry: { $type: 'string' } } });
    expect(statsPipelines.answersPerEntry(range).at(-1)).toEqual({ $sort: { count: -1, entry: 1 } });
    expect(statsPipelines.ticketsBy(range, 'kecamatan').slice(0, 2)).toEqual([
      { $match: { createdAt: within } },
      { $group: { _id: { $ifNull: ['$kecamatan', '-'] }, count: { $sum: 1 } } },
    ]);
    expect(statsPipelines.ticketsBy(range, 'category')[1]).toEqual({ $group: { _id: '$category', count: { $sum: 1 } } });
    expect(statsPipelines.ticketsBy(range, 'status').at(-1)).toEqual({ $sort: { key: 1 } });
  });

  test('first responses: handoffs in range, each joined to its earliest agent message at or after the request', () => {
    const pipeline = statsPipelines.firstResponses(range, 'messages');
    expect(pipeline[0]).toEqual({ $match: { lastHandoffAt: within } });
    const lookup = (pipeline[1] as { $lookup: { from: string; let: object; pipeline: object[] } }).$lookup;
    expect(lookup.from).toBe('messages');
    expect(lookup.let).toEqual({ conversationId: '$_id', requestedAt: '$lastHandoffAt' });
    expect(lookup.pipeline.slice(1, 3)).toEqual([{ $sort: { createdAt: 1 } }, { $limit: 1 }]);
    expect(pipeline.at(-1)).toEqual({ $project: { _id: 0, requestedAt: '$lastHandoffAt', respondedAt: '$response.createdAt' } });
  });
});

describe('mongo schemas: issue 5 records', () => {
  test('drafts, unanswered groups and audit events the store builds are valid; statuses are checked', async () => {
    const draftRecord = buildDraft({ entryId: 'ktp-hilang', baseVersion: null, entry: sampleEntry, authorId: 'editor' });
    const draft = asDoc(draftRecord);
    await expect(new models.Draft(draft).validate()).resolves.toBeUndefined();
    await expect(new models.Draft({ ...draft, status: 'published' }).validate()).rejects.toThrow(/status/);
    expect(fromDoc<Draft>(new models.Draft(draft).toObject())).toEqual(draftRecord);

    const groupRecord = buildUnansweredGroup({ text: 'urus surat pindah', stems: ['urus', 'surat', 'pindah'], at: new Date() });
    const group = asDoc(groupRecord);
    await expect(new models.UnansweredGroup(group).validate()).resolves.toBeUndefined();
    await expect(new models.UnansweredGroup({ ...group, status: 'done' }).validate()).rejects.toThrow(/status/);
    const resolution = { type: 'phrases', entryId: 'pindah-datang', by: 'admin', at: new Date() };
    await expect(new models.UnansweredGroup({ ...group, status: 'resolved', resolution }).validate()).resolves.toBeUndefined();
    await expect(new models.UnansweredGroup({ ...group, status: 'resolved', resolution: { ...resolution, type: 'merged' } }).validate()).rejects.toThrow(/type/);
    expect(fromDoc<UnansweredGroup>(new models.UnansweredGroup(group).toObject())).toEqual(groupRecord);
    expect(Object.keys(new models.UnansweredGroup(group).toObject())).not.toContain('resolution');

    const eventRecord = buildAuditEvent({ actorId: 'admin', action: 'entry.publish', target: 'ktp-hilang', summary: 'Versi 2' });
    const event = asDoc(eventRecord);
    await expect(new models.AuditEvent(event).validate()).resolves.toBeUndefined();
    await expect(new models.AuditEvent({ ...event, summary: '' }).validate()).resolves.toBeUndefined();
    const { actorId: _actorId, ...withoutActor } = event;
    await expect(new models.AuditEvent(withoutActor).validate()).rejects.toThrow(/actorId/);
    expect(fromDoc<AuditEvent>(new models.AuditEvent(event).toObject())).toEqual(eventRecord);

    const withdrawn = { entryId: 'ktp-hilang', version: 2, entry: sampleEntry, by: 'admin', withdrawn: true, at: new Date() };
    expect(new models.EntryVersion(withdrawn).toObject()).toMatchObject({ withdrawn: true });
    await expect(new models.EntryVersion(withdrawn).validate()).resolves.toBeUndefined();
  });

  test('the engine’s bookkeeping (latest handoff, resolution time and deadline) never leaks into interface objects', () => {
    const ticket = ticketRecord();
    const stored = new models.Ticket({ ...asDoc(ticket), resolvedAt: new Date(), resolvedDueAt: null }).toObject();
    expect(fromDoc<Ticket>(stored)).toEqual(ticket);
    const conversation = buildConversation(contact);
    expect(fromDoc<Conversation>(new models.Conversation({ ...asDoc(conversation), lastHandoffAt: new Date() }).toObject())).toEqual(conversation);
  });
});

describe('mongo: personal-data protection (issue 6)', () => {
  test('anonymisedAt is a schema path of contacts, conversations and tickets (strict mode would drop it from updates otherwise), and stays inside the engine', () => {
    for (const schema of [schemas.contact, schemas.conversation, schemas.ticket] as unknown as mongoose.Schema[]) expect(schema.path('anonymisedAt')?.instance).toBe('Date');
    const at = new Date();
    expect(fromDoc<Contact>(new models.Contact({ ...asDoc(contact), anonymisedAt: at }).toObject())).toEqual(contact);
    const conversation = buildConversation(contact);
    expect(fromDoc<Conversation>(new models.Conversation({ ...asDoc(conversation), anonymisedAt: at }).toObject())).toEqual(conversation);
    const ticket = ticketRecord();
    expect(fromDoc<Ticket>(new models.Ticket({ ...asDoc(ticket), anonymisedAt: at }).toObject())).toEqual(ticket);
  });

  test('the retention job finds due conversations by index: not anonymised (missing = null), least recently active first', () => {
    // Neither sparse nor partial: documents without the field (most of them) must be in it, as null.
    expect(index(schemas.conversation, { anonymisedAt: 1, lastMessageAt: 1 })).toEqual({});
  });

  test('the retention pipeline: due conversations first, then only those without a ticket open or changed since the cutoff, then the batch limit', () => {
    const cutoff = new Date('2025-01-01T00:00:00Z');
    const [match, sort, lookup, unblocked, limit, project] = retentionPipeline(cutoff, 100, 'tickets') as Record<string, any>[];
    expect(match).toEqual({
      $match: { anonymisedAt: null, lastMessageAt: { $lt: cutoff }, state: { $in: ['closed', 'bot'] }, $or: [{ closedAt: null }, { closedAt: { $lt: cutoff } }] },
    });
    expect(sort).toEqual({ $sort: { lastMessageAt: 1 } });
    expect(lookup!.$lookup).toMatchObject({ from: 'tickets', let: { conversationId: '$_id' }, as: 'blocking' });
    expect(lookup!.$lookup.pipeline).toEqual([
      { $match: { $expr: { $eq: ['$conversationId', '$$conversationId'] } } },
      { $match: { $or: [{ status: { $in: ['baru', 'diproses', 'menunggu_warga'] } }, { updatedAt: { $gte: cutoff } }] } },
      { $limit: 1 },
      { $project: { _id: 1 } },
    ]);
    expect(unblocked).toEqual({ $match: { blocking: { $size: 0 } } });
    expect(limit).toEqual({ $limit: 100 });
    expect(project).toEqual({ $project: { _id: 1, contactId: 1, state: 1, closedAt: 1, lastMessageAt: 1 } });
  });

  test('anonymised tickets and conversations, as written, are valid documents without personal data', async () => {
    const now = new Date();
    const ticket = { ...ticketRecord(), reporterName: 'Siti', reporterPhone: '081234567890', kelurahan: 'Lere', attachments: [{ kind: 'image' as const, key: 'k1', fileName: 'ktp.png' }] };
    ticket.events = [{ at: now, actor: 'agent-1', type: 'note', note: 'HP warga 0812…' }];
    const update = anonymisedTicketUpdate(ticket, RETENTION_TEXT, now);
    expect(update.$unset).toEqual({ reporterName: 1, reporterPhone: 1, kelurahan: 1 });
    const doc: Record<string, unknown> = { ...asDoc(ticket), ...update.$set };
    for (const key of Object.keys(update.$unset)) delete doc[key];
    await expect(new models.Ticket(doc).validate()).resolves.toBeUndefined();
    const back = fromDoc<Ticket>(new models.Ticket(doc).toObject());
    expect(back).toMatchObject({ description: RETENTION_TEXT, attachments: [], events: [{ at: now, actor: 'agent-1', type: 'note' }], number: ticket.number, status: ticket.status });
    expect(JSON.stringify(back)).not.toMatch(/Siti|0812|Lere|ktp\.png/u);

    const conversation = { ...buildConversation(contact), state: 'bot' as const, memory: { lastTicketId: 't1' }, flow: { name: 'complaint', step: 'phone', data: { name: 'Siti' } } };
    const quiet = new Date('2024-01-01T00:00:00Z');
    const change = anonymisedConversationUpdate({ contactId: contact.id, closedAt: null }, quiet, now);
    expect(change).toEqual({
      $set: { memory: {}, flow: null, lastTurn: null, externalId: pseudonymFor(contact.id), state: 'closed', closedAt: quiet, updatedAt: now, anonymisedAt: now },
      $inc: { version: 1 },
      $unset: { openKey: 1 }, // closed: the contact may open a new conversation
    });
    // A conversation closed already keeps its own closing time.
    expect(anonymisedConversationUpdate({ contactId: contact.id, closedAt: now }, quiet, now).$set.closedAt).toBe(now);
    await expect(new models.Conversation({ ...asDoc(conversation), ...change.$set }).validate()).resolves.toBeUndefined();
  });
});
