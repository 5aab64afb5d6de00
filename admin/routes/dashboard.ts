/**
 * The dashboard (supervisors and admins): how the helpdesk is doing over a
 * range of office days (default: the last 30).
 *
 *   GET /dashboard        tiles, charts (Chart.js, admin/public/dashboard.js) each with its numbers table,
 *                         and the knowledge-base entries past their review date
 *   GET /dashboard/csv    the same numbers as one CSV (metrik, tanggal, kelompok, nilai)
 *
 * Both take `dari` and `sampai` (YYYY-MM-DD, office days, both included).
 * The charts are drawn from the numbers the page already shows: each
 * canvas carries its data in a data attribute (no inline script, CSP).
 */
import type { Request, Response, Router } from 'express';
import { stringify } from 'csv-stringify/sync';
import type { KnowledgeBase } from '../../bot/knowledge-base.js';
import { officeTimeZone, type AdminContext } from '../context.js';
import { buildReport, DEFAULT_DAYS, officeDate, parseRange, reportRows, type Count, type DashboardReport, type DayRange } from './dashboard-report.js';

/** What admin/public/dashboard.js turns into a Chart.js chart. */
export interface ChartSpec {
  type: 'bar' | 'line' | 'doughnut';
  labels: string[];
  series: { label: string; data: (number | null)[] }[];
  stacked?: boolean;
  horizontal?: boolean;
  /** Values are percentages ("%" on the axis). */
  percent?: boolean;
  /** One colour per bar or slice: `outcome` = good, bad, unknown; `score` = 1 (red) … 5 (green). */
  palette?: 'outcome' | 'score';
}

interface Section {
  id: string;
  title: string;
  note?: string;
  chart: ChartSpec | null;
  /** Said by screen readers in place of the canvas (the table follows). */
  summary: string;
  table: { head: string[]; rows: string[][] };
  /** Spans the page's width (one point per day). */
  wide?: boolean;
}

const TOP_TOPICS = 10;
const number = new Intl.NumberFormat('id-ID');
const decimal = new Intl.NumberFormat('id-ID', { maximumFractionDigits: 1 });

const percent = (value: number | null) => (value === null ? '–' : `${decimal.format(value)}%`);
const shortDay = (day: string) => new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
const longDay = (day: string) => new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));

/** "45 mnt", "3 jam 20 mnt", "41 jam", "2 hari 4 jam": as precise as the size makes sense. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return '< 1 mnt';
  if (minutes < 60) return `${minutes} mnt`;
  const hours = Math.floor(minutes / 60);
  if (hours < 10) return minutes % 60 ? `${hours} jam ${minutes % 60} mnt` : `${hours} jam`;
  if (hours < 48) return `${hours} jam`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} hari ${hours % 24} jam` : `${days} hari`;
}

function countSection(id: string, title: string, counts: Count[], options: { head: string; note?: string; wide?: boolean }): Section {
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  return {
    id,
    title,
    note: options.note,
    wide: options.wide,
    chart: total ? { type: 'bar', horizontal: true, labels: counts.map((c) => c.label), series: [{ label: 'Jumlah', data: counts.map((c) => c.count) }] } : null,
    summary: `${title}: ${counts.map((c) => `${c.label} ${c.count}`).join(', ') || 'belum ada data'}.`,
    table: { head: [options.head, 'Jumlah'], rows: counts.map((c) => [c.label, number.format(c.count)]) },
  };
}

/** The page's sections, in reading order: citizens' side first, then tickets, then how they felt. */
export function sections(report: DashboardReport): Section[] {
  const { days, conversations, turns, tickets, sla, satisfaction } = report;
  const conversationTotal = conversations.reduce((sum, s) => sum + s.total, 0);
  const topics = report.topics.slice(0, TOP_TOPICS);
  const resolved = sla.onTime + sla.late + sla.noDeadline;
  return [
    {
      id: 'percakapan',
      wide: true,
      title: 'Percakapan per hari menurut kanal',
      chart: conversationTotal ? { type: 'bar', stacked: true, labels: days.map(shortDay), series: conversations.map((s) => ({ label: s.label, data: s.perDay })) } : null,
      summary: `${number.format(conversationTotal)} percakapan baru: ${conversations.map((s) => `${s.label} ${s.total}`).join(', ')}.`,
      table: {
        head: ['Tanggal', ...conversations.map((s) => s.label), 'Jumlah'],
        rows: days.map((day, i) => [longDay(day), ...conversations.map((s) => number.format(s.perDay[i]!)), number.format(conversations.reduce((sum, s) => sum + s.perDay[i]!, 0))]),
      },
    },
    {
      id: 'fallback',
      wide: true,
      title: 'Tingkat fallback per hari',
      note: 'Bagian pesan warga yang dijawab bot dengan fallback (belum mengerti, arahan ke instansi lain, atau penolakan). Turun setelah pertanyaan tak terjawab ditambahkan ke entri.',
      chart: turns.some((t) => t.all > 0) ? { type: 'line', percent: true, labels: days.map(shortDay), series: [{ label: 'Fallback', data: turns.map((t) => (t.rate === null ? null : Number(t.rate.toFixed(1)))) }] } : null,
      summary: `Tingkat fallback ${percent(report.fallbackRate)} dari ${number.format(turns.reduce((sum, t) => sum + t.all, 0))} giliran bot.`,
      table: { head: ['Tanggal', 'Giliran bot', 'Fallback', 'Persen'], rows: turns.map((t) => [longDay(t.day), number.format(t.all), number.format(t.fallback), percent(t.rate)]) },
    },
    countSection('topik', `Topik teratas (${TOP_TOPICS} besar)`, topics, { head: 'Entri', wide: true, note: 'Jawaban bot per entri basis pengetahuan.' }),
    countSection('tiket-status', 'Tiket menurut status', tickets.status, { head: 'Status', note: 'Tiket yang dibuat pada rentang ini, menurut statusnya sekarang.' }),
    countSection('tiket-kategori', 'Tiket menurut kategori', tickets.category, { head: 'Kategori' }),
    countSection('tiket-kecamatan', 'Tiket menurut kecamatan', tickets.kecamatan, { head: 'Kecamatan', wide: true }),
    {
      id: 'sla',
      title: 'Kepatuhan SLA',
      note: 'Tiket yang selesai pada rentang ini: selesai sebelum tenggatnya, atau terlambat. Kepatuhan = tepat waktu dari yang punya tenggat.',
      chart: resolved ? { type: 'doughnut', palette: 'outcome', labels: ['Tepat waktu', 'Terlambat', 'Tanpa tenggat'], series: [{ label: 'Tiket selesai', data: [sla.onTime, sla.late, sla.noDeadline] }] } : null,
      summary: `Kepatuhan SLA ${percent(sla.rate)}: ${sla.onTime} tepat waktu, ${sla.late} terlambat, ${sla.noDeadline} tanpa tenggat.`,
      table: {
        head: ['Tiket selesai', 'Jumlah'],
        rows: [['Tepat waktu', number.format(sla.onTime)], ['Terlambat', number.format(sla.late)], ['Tanpa tenggat', number.format(sla.noDeadline)], ['Kepatuhan SLA', percent(sla.rate)]],
      },
    },
    {
      id: 'kepuasan',
      title: 'Penilaian warga (1–5)',
      chart: satisfaction.count ? { type: 'bar', palette: 'score', labels: ['1', '2', '3', '4', '5'], series: [{ label: 'Penilaian', data: satisfaction.perScore }] } : null,
      summary: `Rata-rata kepuasan ${satisfaction.average === null ? '–' : decimal.format(satisfaction.average)} dari ${satisfaction.count} penilaian.`,
      table: { head: ['Nilai', 'Jumlah'], rows: [...satisfaction.perScore.map((count, i) => [String(i + 1), number.format(count)]), ['Rata-rata', satisfaction.average === null ? '–' : decimal.format(satisfaction.average)]] },
    },
  ];
}

function tiles(report: DashboardReport) {
  const { satisfaction } = report;
  return [
    { label: 'Percakapan', value: number.format(report.conversations.reduce((sum, s) => sum + s.total, 0)), hint: 'dimulai warga' },
    { label: 'Tingkat fallback', value: percent(report.fallbackRate), hint: 'dari giliran bot' },
    { label: 'Tiket dibuat', value: number.format(report.tickets.total), hint: 'pengaduan dan permintaan' },
    { label: 'Kepatuhan SLA', value: percent(report.sla.rate), hint: `${report.sla.onTime + report.sla.late} tiket bertenggat selesai` },
    { label: 'Median respons pertama', value: formatDuration(report.firstResponse.medianMs), hint: `${report.firstResponse.count} permintaan petugas` },
    { label: 'Median penyelesaian', value: formatDuration(report.resolution.medianMs), hint: `${report.resolution.count} tiket selesai` },
    { label: 'Kepuasan rata-rata', value: satisfaction.average === null ? '–' : `${decimal.format(satisfaction.average)} / 5`, hint: `${satisfaction.count} penilaian` },
  ];
}

export function dashboardRoutes(router: Router, ctx: AdminContext, deps: { knowledge: KnowledgeBase }): void {
  const { base, store, render, access } = ctx;
  const supervisor = access.requireRole('supervisor');

  const load = async (req: Request): Promise<{ report: DashboardReport; problem?: string; today: string }> => {
    const timeZone = await officeTimeZone(store);
    const today = officeDate(new Date(), timeZone);
    const { range, problem } = parseRange(req.query, today);
    const { entries } = await deps.knowledge.current();
    return { report: await buildReport({ store, knowledge: { entries }, timeZone, today }, range), problem, today };
  };
  const query = (range: DayRange) => `dari=${range.from}&sampai=${range.to}`;

  router.get('/dashboard', supervisor, async (req: Request, res: Response) => {
    const { report, problem, today } = await load(req);
    const quick = [7, DEFAULT_DAYS, 90].map((days) => {
      const from = new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      return { label: `${days} hari`, href: `${base}/dashboard?dari=${from}&sampai=${today}`, current: report.range.from === from && report.range.to === today };
    });
    render.page(res, 'dashboard', {
      title: 'Dasbor',
      nav: 'dashboard',
      styles: ['dashboard.css'],
      scripts: ['chart.umd.js', 'dashboard.js'],
      flash: problem ? { kind: 'error', text: problem } : null,
      range: report.range,
      rangeText: `${longDay(report.range.from)} – ${longDay(report.range.to)}`,
      today,
      quick,
      csvHref: `${base}/dashboard/csv?${query(report.range)}`,
      tiles: tiles(report),
      sections: sections(report),
      reviewsDue: report.reviewsDue.map((entry) => ({ ...entry, href: `${base}/knowledge/entries/${entry.id}`, due: longDay(entry.due) })),
    });
  });

  router.get('/dashboard/csv', supervisor, async (req: Request, res: Response) => {
    const { report } = await load(req);
    // A byte-order mark so spreadsheet programs read the file as UTF-8 ("–", names with accents).
    const csv = `\uFEFF${stringify(reportRows(report), { record_delimiter: 'windows' })}`;
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="siratu-dasbor-${report.range.from}_${report.range.to}.csv"`,
    });
    res.send(csv);
  });
}
