/**
 * The dashboard's numbers for a range of office days, computed from the
 * store's stats (bot/store/types.ts StatsRepository), ratings and the
 * knowledge base. Pages, charts and the CSV export all read this one
 * report, so the table under a chart and the exported file always agree.
 *
 * Days are the office's calendar days (its profile's time zone); a range
 * is inclusive on both ends, as people say "1 to 30 June".
 */
import { COMPLAINT_CATEGORIES, complaintCategory } from '../../bot/complaints.js';
import type { KnowledgeSnapshot } from '../../bot/knowledge-base.js';
import { TICKET_STATUSES, type Store } from '../../bot/store/types.js';
import type { ChannelName } from '../../bot/types.js';
import { CHANNELS, STATUS_NAMES } from './inbox-view.js';

/** Office dates `YYYY-MM-DD`, both included. */
export interface DayRange {
  from: string;
  to: string;
}

export const DEFAULT_DAYS = 30;
/** Longest range one page shows (a year and a day: a leap year fits). */
export const MAX_DAYS = 366;
const DAY_MS = 86_400_000;
const CHANNEL_ORDER: ChannelName[] = ['whatsapp', 'telegram', 'web'];
const DATE = /^\d{4}-\d{2}-\d{2}$/u;

/** The office's calendar date of an instant. */
export function officeDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Milliseconds the office's wall clock is ahead of UTC at an instant. */
function offsetAt(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - Math.floor(at / 1000) * 1000;
}

/** The instant an office day starts (its midnight; a second pass settles a daylight-saving edge). */
export function startOfDay(date: string, timeZone: string): Date {
  const wall = Date.parse(`${date}T00:00:00Z`);
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  return new Date(guess);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every day of the range, in order. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** A real calendar date: 2026-02-30 has the right shape but is not a day. */
const isDate = (value: unknown): value is string =>
  typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && addDays(value, 0) === value;

/** The range asked for in the query (`dari`, `sampai`), or the last 30 days up to today with a reason why not. */
export function parseRange(query: Record<string, unknown>, today: string): { range: DayRange; problem?: string } {
  const fallback = { from: addDays(today, -(DEFAULT_DAYS - 1)), to: today };
  const { dari, sampai } = query;
  if (dari === undefined && sampai === undefined) return { range: fallback };
  if (!isDate(dari) || !isDate(sampai)) return { range: fallback, problem: 'Tanggal tidak valid. Ditampilkan 30 hari terakhir.' };
  if (dari > sampai) return { range: fallback, problem: 'Tanggal awal sesudah tanggal akhir. Ditampilkan 30 hari terakhir.' };
  if (daysOf({ from: dari, to: sampai }).length > MAX_DAYS) return { range: fallback, problem: `Rentang paling panjang ${MAX_DAYS} hari. Ditampilkan 30 hari terakhir.` };
  return { range: { from: dari, to: sampai } };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const share = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : null);

export interface Count {
  key: string;
  label: string;
  count: number;
}

export interface DashboardReport {
  range: DayRange;
  timeZone: string;
  days: string[];
  /** Conversations started per day, one series per channel (zeros included). */
  conversations: { channel: ChannelName; label: string; perDay: number[]; total: number }[];
  /** Bot turns (first replies) per day, the fallbacks among them, and their share in percent (null without turns). */
  turns: { day: string; all: number; fallback: number; rate: number | null }[];
  fallbackRate: number | null;
  /** Answers per knowledge-base entry, most asked first. */
  topics: Count[];
  tickets: { total: number; status: Count[]; category: Count[]; kecamatan: Count[] };
  /** Tickets resolved in the range, by whether they met their deadline; rate = on time / those with a deadline. */
  sla: { onTime: number; late: number; noDeadline: number; rate: number | null };
  firstResponse: { count: number; medianMs: number | null };
  resolution: { count: number; medianMs: number | null };
  satisfaction: { count: number; average: number | null; perScore: number[] };
  /** Entries whose review date has passed (lastReviewed + reviewIntervalDays before today). */
  reviewsDue: { id: string; title: string; lastReviewed: string; due: string; daysOverdue: number }[];
}

/** Labels for a ticket field's keys, in a stable order (statuses in their flow order, the rest by count). */
function ticketCounts(field: 'status' | 'category' | 'kecamatan', rows: { key: string; count: number }[]): Count[] {
  if (field === 'status') {
    const byKey = new Map(rows.map((row) => [row.key, row.count]));
    return TICKET_STATUSES.map((status) => ({ key: status, label: STATUS_NAMES[status], count: byKey.get(status) ?? 0 }));
  }
  const label = (key: string) =>
    field === 'category' ? (complaintCategory(key)?.label ?? key) : key === '-' || key === '' ? 'Tidak diisi' : key;
  const order = (key: string) => (field === 'category' ? COMPLAINT_CATEGORIES.findIndex((c) => c.id === key) : 0);
  return rows.map((row) => ({ key: row.key, label: label(row.key), count: row.count })).sort((a, b) => b.count - a.count || order(a.key) - order(b.key) || a.label.localeCompare(b.label, 'id'));
}

export async function buildReport(deps: { store: Store; knowledge: Pick<KnowledgeSnapshot, 'entries'>; timeZone: string; today: string }, range: DayRange): Promise<DashboardReport> {
  const { store, knowledge, timeZone, today } = deps;
  const span = { from: startOfDay(range.from, timeZone), to: startOfDay(addDays(range.to, 1), timeZone), timeZone };
  const [conversations, replies, answers, status, category, kecamatan, firstResponses, resolutions, ratings] = await Promise.all([
    store.stats.conversationsPerDay(span),
    store.stats.repliesPerDay(span),
    store.stats.answersPerEntry(span),
    store.stats.ticketsBy(span, 'status'),
    store.stats.ticketsBy(span, 'category'),
    store.stats.ticketsBy(span, 'kecamatan'),
    store.stats.firstResponses(span),
    store.stats.resolutions(span),
    store.ratings.list({ from: span.from, to: span.to }),
  ]);
  const days = daysOf(range);
  const dayIndex = new Map(days.map((day, i) => [day, i]));

  const perChannel = new Map(CHANNEL_ORDER.map((channel) => [channel, days.map(() => 0)]));
  for (const row of conversations) {
    const series = perChannel.get(row.channel);
    const i = dayIndex.get(row.day);
    if (series && i !== undefined) series[i] += row.count;
  }

  const turns = days.map((day) => ({ day, all: 0, fallback: 0, rate: null as number | null }));
  for (const row of replies) {
    const turn = turns[dayIndex.get(row.day) ?? -1];
    if (!turn) continue;
    turn.all += row.count;
    if (row.kind === 'fallback') turn.fallback += row.count;
  }
  for (const turn of turns) turn.rate = share(turn.fallback, turn.all);
  const allTurns = turns.reduce((sum, t) => sum + t.all, 0);

  const withDeadline = resolutions.filter((r) => r.withinDue !== null);
  const onTime = withDeadline.filter((r) => r.withinDue).length;
  const scored = ratings.filter((r) => r.score >= 1 && r.score <= 5);

  const reviewsDue = [...knowledge.entries.values()]
    .map((entry) => ({ id: entry.id, title: entry.title, lastReviewed: entry.lastReviewed, due: addDays(entry.lastReviewed, entry.reviewIntervalDays) }))
    .filter((entry) => entry.due < today)
    .map((entry) => ({ ...entry, daysOverdue: daysOf({ from: entry.due, to: today }).length - 1 }))
    .sort((a, b) => b.daysOverdue - a.daysOverdue || a.title.localeCompare(b.title, 'id'));

  return {
    range,
    timeZone,
    days,
    conversations: CHANNEL_ORDER.map((channel) => {
      const perDay = perChannel.get(channel)!;
      return { channel, label: CHANNELS[channel].label, perDay, total: perDay.reduce((a, b) => a + b, 0) };
    }),
    turns,
    fallbackRate: share(turns.reduce((sum, t) => sum + t.fallback, 0), allTurns),
    topics: answers.map((row) => ({ key: row.entry, label: knowledge.entries.get(row.entry)?.title ?? row.entry, count: row.count })),
    tickets: {
      total: status.reduce((sum, row) => sum + row.count, 0),
      status: ticketCounts('status', status),
      category: ticketCounts('category', category),
      kecamatan: ticketCounts('kecamatan', kecamatan),
    },
    sla: { onTime, late: withDeadline.length - onTime, noDeadline: resolutions.length - withDeadline.length, rate: share(onTime, withDeadline.length) },
    firstResponse: { count: firstResponses.length, medianMs: median(firstResponses.map((r) => r.respondedAt.getTime() - r.requestedAt.getTime())) },
    resolution: { count: resolutions.length, medianMs: median(resolutions.map((r) => r.resolvedAt.getTime() - r.createdAt.getTime())) },
    satisfaction: {
      count: scored.length,
      average: scored.length ? scored.reduce((sum, r) => sum + r.score, 0) / scored.length : null,
      perScore: [1, 2, 3, 4, 5].map((score) => scored.filter((r) => r.score === score).length),
    },
    reviewsDue,
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const optional = (value: number | null, digits: number) => (value === null ? '' : String(round(value, digits)));

/**
 * The report as one long table, `metrik, tanggal, kelompok, nilai`: one row
 * per number, so an analyst can filter or pivot it in a spreadsheet.
 * Decimals use a point; durations are in minutes (first response) and hours
 * (resolution); an empty value means "no data" (e.g. no turns that day).
 */
export function reportRows(report: DashboardReport): string[][] {
  const rows: string[][] = [['metrik', 'tanggal', 'kelompok', 'nilai']];
  const add = (metric: string, day: string, group: string, value: number | string) => rows.push([metric, day, group, String(value)]);
  report.days.forEach((day, i) => {
    for (const series of report.conversations) add('percakapan', day, series.label, series.perDay[i]!);
  });
  for (const turn of report.turns) {
    add('giliran_bot', turn.day, '', turn.all);
    add('giliran_fallback', turn.day, '', turn.fallback);
    add('persen_fallback', turn.day, '', optional(turn.rate, 1));
  }
  add('persen_fallback', '', 'seluruh rentang', optional(report.fallbackRate, 1));
  for (const topic of report.topics) add('jawaban_per_topik', '', topic.label, topic.count);
  for (const [metric, counts] of [['tiket_per_status', report.tickets.status], ['tiket_per_kategori', report.tickets.category], ['tiket_per_kecamatan', report.tickets.kecamatan]] as const) {
    for (const count of counts) add(metric, '', count.label, count.count);
  }
  add('tiket_selesai', '', 'tepat waktu', report.sla.onTime);
  add('tiket_selesai', '', 'terlambat', report.sla.late);
  add('tiket_selesai', '', 'tanpa tenggat', report.sla.noDeadline);
  add('persen_sla', '', '', optional(report.sla.rate, 1));
  add('median_respons_pertama_menit', '', `${report.firstResponse.count} percakapan`, optional(report.firstResponse.medianMs === null ? null : report.firstResponse.medianMs / 60_000, 1));
  add('median_penyelesaian_jam', '', `${report.resolution.count} tiket`, optional(report.resolution.medianMs === null ? null : report.resolution.medianMs / 3_600_000, 1));
  add('rata_rata_kepuasan', '', `${report.satisfaction.count} penilaian`, optional(report.satisfaction.average, 2));
  report.satisfaction.perScore.forEach((count, i) => add('penilaian', '', String(i + 1), count));
  return rows;
}
