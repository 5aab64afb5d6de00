/**
 * Helpers to give the dashboard a history: the REAL app's dispatcher,
 * helpdesk and ticket service run with the clock set to a past instant
 * (only `Date` is faked, timers stay real), so conversations, turns,
 * tickets, first responses and ratings land on past office days exactly as
 * they would have then. `seedMonth` builds a month of plausible traffic for
 * the screenshots: a question the bot could not answer is added to an entry
 * ten days ago, and the fallback rate drops after it.
 */
import { jest } from '@jest/globals';
import { SLA_QUEUE } from '../../bot/sla.js';
import type { User } from '../../bot/store/types.js';
import { UNANSWERED_QUEUE } from '../../bot/unanswered.js';
import type { App } from '../../scripts/app.js';
import { until } from './admin.js';

/** Kota Palu's office clock (WITA, UTC+8, no daylight saving). */
const OFFICE_OFFSET = '+08:00';

/** Today's date on the office's calendar. */
export function officeToday(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

/** The office date `daysAgo` days before today. */
export function officeDay(daysAgo: number): string {
  return new Date(Date.parse(`${officeToday()}T00:00:00Z`) - daysAgo * 86_400_000).toISOString().slice(0, 10);
}

/** The instant the office clock shows `clock` (HH:MM) on the day `daysAgo` days before today. */
export function officeInstant(daysAgo: number, clock: string): Date {
  return new Date(`${officeDay(daysAgo)}T${clock}:00${OFFICE_OFFSET}`);
}

/** Runs `work` with the clock at `when`: everything the app stores in it is dated then. */
export async function atTime<T>(when: Date, work: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({
    now: when,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
  try {
    return await work();
  } finally {
    jest.useRealTimers();
  }
}

/**
 * Checks that are due a fixed time after something happened (a handoff nobody answers, a
 * ticket deadline) would come due at once for a past instant, before the seeding moves on:
 * they wait until the past is written, then run on what it became.
 */
const CHECKS_ON_THE_CLOCK = ['handoff-timeout', SLA_QUEUE];

/** Writes history with `atTime`: the clock-driven checks are held meanwhile. */
export async function writingThePast<T>(app: App, work: () => Promise<T>): Promise<T> {
  for (const queue of CHECKS_ON_THE_CLOCK) await app.queue.pause(queue);
  try {
    return await work();
  } finally {
    for (const queue of CHECKS_ON_THE_CLOCK) await app.queue.resume(queue);
  }
}

/** Waits until the unanswered-questions worker has recorded everything queued so far. */
export async function unansweredRecorded(app: App): Promise<void> {
  const pending = async () => {
    const counts = await app.queue.counts(UNANSWERED_QUEUE);
    return counts.waiting + counts.active + counts.delayed;
  };
  await until(pending, (count) => count === 0, 10_000);
}

/** A small deterministic random source (mulberry32), so every run seeds the same month. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ANSWERABLE = [
  'syarat ktp hilang', 'cara bikin kk baru', 'syarat akta kelahiran anak', 'jam buka kantor dukcapil', 'biaya bikin ktp berapa',
  'cara pindah domisili ke palu', 'legalisir kk gimana', 'syarat kia anak', 'akta kematian syaratnya apa', 'ganti nama di akta',
  'aktivasi ikd gimana', 'ambil nomor antrian online', 'kk hilang gimana', 'tambah anak di kk', 'berapa lama bikin ktp',
  'syarat bikin ktp pertama umur 17', 'ktp rusak mau ganti', 'syarat akta kelahiran', 'syarat kk baru',
];
/** Questions the shipped knowledge base cannot answer; the first is added to an entry ten days ago. */
const FIXED_LATER = ['dukcapil tutup ga pas cuti bersama?', 'kalau cuti bersama dukcapil tutup tidak', 'pas cuti bersama dukcapil tutup?'];
const UNANSWERABLE = [
  'Putusan PA sudah keluar, apa harus lapor juga ke Dukcapil?', 'putusan PA sudah keluar, harus lapor ke dukcapil juga?',
  'surat keterangan domisili usaha', 'nikah siri, anak bisa dapat akte ga?', 'wkwkwk', 'sy mau nanya tp lupa mau nanya apa',
];
const CHANNELS = ['whatsapp', 'whatsapp', 'whatsapp', 'telegram', 'web', 'web'] as const;
const CATEGORIES = ['lambat', 'lambat', 'lambat', 'layanan', 'layanan', 'data-salah', 'sikap-petugas', 'pungli', 'lainnya'];
const SCORES = [5, 5, 5, 4, 4, 4, 3, 2, 5, 4];

/**
 * About 30 days of helpdesk traffic before today: questions on every
 * channel, unanswered ones, handoffs answered by `agent`, complaints with
 * their deadlines kept or missed, and ratings.
 */
export async function seedMonth(app: App, staff: { agent: User; supervisor: User }, options: { days?: number; seed?: number } = {}): Promise<void> {
  await writingThePast(app, () => writeMonth(app, staff, options));
}

async function writeMonth(app: App, { agent, supervisor }: { agent: User; supervisor: User }, options: { days?: number; seed?: number }): Promise<void> {
  const days = options.days ?? 30;
  const random = randomSource(options.seed ?? 7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const { dispatcher, helpdesk, store, editor } = app;
  const { office } = await app.knowledge.current();
  const kecamatan = office.kecamatan.map((k) => k.name);
  const resolveLater: { ticketId: string; at: Date }[] = [];
  let citizen = 0;

  for (let daysAgo = days; daysAgo >= 1; daysAgo--) {
    if (daysAgo === 10) {
      // A supervisor adds the most frequent unanswered question to the office-hours entry, as the list page does.
      await unansweredRecorded(app);
      const group = (await store.unanswered.open()).find((g) => g.samples.some((text) => FIXED_LATER.includes(text)));
      await atTime(officeInstant(daysAgo, '07:30'), async () => {
        await editor.addPhrases(supervisor, 'jam-layanan', group?.samples ?? FIXED_LATER);
        if (group) await store.unanswered.resolve(group.id, { type: 'phrases', entryId: 'jam-layanan', by: supervisor.id, at: new Date() });
      });
    }
    const weekend = [0, 6].includes(new Date(`${officeDay(daysAgo)}T00:00:00Z`).getUTCDay());
    const conversations = Math.round((weekend ? 6 : 14) + random() * 8);
    for (let i = 0; i < conversations; i++) {
      const channel = pick(CHANNELS);
      const senderId = channel === 'whatsapp' ? `62812${String(1_000_000 + ++citizen).padStart(7, '0')}@s.whatsapp.net` : `seed-${++citizen}`;
      const minute = 8 * 60 + Math.floor(random() * 9 * 60);
      const at = (offset: number) => officeInstant(daysAgo, `${String(Math.floor((minute + offset) / 60)).padStart(2, '0')}:${String((minute + offset) % 60).padStart(2, '0')}`);
      const questions = 1 + Math.floor(random() * 2);
      for (let q = 0; q < questions; q++) {
        const roll = random();
        const text = roll < 0.72 ? pick(ANSWERABLE) : roll < 0.86 ? pick(FIXED_LATER) : pick(UNANSWERABLE);
        await atTime(at(q), () => dispatcher.receive({ channel, senderId, text }));
      }
      const roll = random();
      if (roll < 0.18) {
        // Asks for a human; an agent answers within minutes to a few hours, closes, and the citizen rates.
        const asked = await atTime(at(3), () => dispatcher.receive({ channel, senderId, text: 'mau bicara dengan petugas' }));
        const conversationId = asked.message.conversationId;
        const wait = 2 + Math.floor(random() * (random() < 0.8 ? 40 : 180));
        await atTime(at(3 + wait), async () => {
          await helpdesk.claim(conversationId, agent);
          await helpdesk.reply(conversationId, agent, { text: 'Selamat siang, saya petugas Disdukcapil. Ada yang bisa kami bantu?' });
        });
        await atTime(at(10 + wait), () => helpdesk.close(conversationId, agent));
        if (random() < 0.8) await atTime(at(11 + wait), () => dispatcher.receive({ channel, senderId, text: String(pick(SCORES)) }));
      } else if (roll < 0.32) {
        // A complaint: most are resolved, some after their deadline, some still open.
        const conversation = await store.conversations.open(await store.contacts.upsert(channel, senderId));
        const ticket = await atTime(at(5), () =>
          dispatcher.tickets.create({
            contactId: conversation.contactId,
            conversationId: conversation.id,
            channel,
            category: pick(CATEGORIES),
            description: 'Pengaduan warga (data contoh)',
            kecamatan: random() < 0.85 ? pick(kecamatan) : undefined,
          }),
        );
        const fate = random();
        const resolveAfterDays = fate < 0.55 ? random() * 3 : fate < 0.75 ? 4 + random() * 6 : null;
        if (resolveAfterDays !== null && resolveAfterDays < daysAgo) resolveLater.push({ ticketId: ticket.id, at: new Date(ticket.createdAt.getTime() + resolveAfterDays * 86_400_000) });
        else if (fate < 0.9) await atTime(at(60), () => dispatcher.tickets.changeStatus(ticket.id, 'diproses', { actor: agent.id }));
      }
    }
  }
  resolveLater.sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const { ticketId, at } of resolveLater) await atTime(at, () => dispatcher.tickets.changeStatus(ticketId, 'selesai', { actor: agent.id, note: 'Sudah selesai, silakan diambil.' }));
}
