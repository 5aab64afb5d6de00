/**
 * The audit log (admins only): who changed which knowledge-base entry,
 * setting, user, ticket or conversation, and when. Written by bot/audit.ts
 * recordAudit (summaries already masked); read here newest first.
 *
 *   GET /audit?orang=&jenis=&sasaran=&dari=&sampai=&sebelum=   the list (JSON: { events, older })
 *   GET /audit/csv?orang=&jenis=&sasaran=&dari=&sampai=        the same filters as a CSV file
 *
 * orang: a user id; jenis: an action (`ticket.status`); sasaran: a ticket
 * number in any spelling, a user name, an entry id or a conversation id;
 * dari / sampai: whole days on the office's calendar; sebelum: the last
 * event of the page before (keyset paging, so "Lebih lama" stays right while
 * new events arrive).
 */
import type { Request, Response, Router } from 'express';
import { AUDIT_ACTIONS, auditActionLabel } from '../../bot/audit.js';
import { startOfLocalDay } from '../../bot/calendar.js';
import type { AuditEvent, AuditRepository, User } from '../../bot/store/types.js';
import { findTicketNumber } from '../../bot/tickets.js';
import { wantsJson } from '../access.js';
import { formatTime, officeTimeZone, type AdminContext } from '../context.js';

export const PAGE_SIZE = 50;
/** A CSV export stops here (a spreadsheet of more is no longer read by anyone). */
export const CSV_LIMIT = 10_000;

type AuditFilter = Parameters<AuditRepository['list']>[0];

/** What the filter form shows (as typed) and what the store is asked (normalised). */
interface Filters {
  form: { orang: string; jenis: string; sasaran: string; dari: string; sampai: string };
  store: AuditFilter;
  problems: string[];
}

const text = (value: unknown, max: number) => (typeof value === 'string' ? value.trim().slice(0, max) : '');
const DATE = /^\d{4}-\d{2}-\d{2}$/u;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/iu;

/** A target as stored: ticket numbers canonical, conversation ids upper case, everything else lower case. */
export function targetOf(typed: string): string {
  const ticket = findTicketNumber(typed);
  if (ticket) return ticket;
  return ULID.test(typed) ? typed.toUpperCase() : typed.toLowerCase();
}

function nextDay(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year!, month! - 1, day! + 1)).toISOString().slice(0, 10);
}

function isRealDate(date: string): boolean {
  return DATE.test(date) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
}

function filtersOf(req: Request, timeZone: string): Filters {
  const form = { orang: text(req.query.orang, 40), jenis: text(req.query.jenis, 60), sasaran: text(req.query.sasaran, 100), dari: text(req.query.dari, 10), sampai: text(req.query.sampai, 10) };
  const filter: AuditFilter = {};
  const problems: string[] = [];
  if (form.orang) filter.actorId = form.orang;
  if (form.jenis) filter.action = form.jenis;
  if (form.sasaran) filter.target = targetOf(form.sasaran);
  for (const [key, label] of [['dari', 'Dari tanggal'], ['sampai', 'Sampai tanggal']] as const) {
    if (form[key] && !isRealDate(form[key])) {
      problems.push(`${label} tidak valid: pilih tanggal dari kalender.`);
      form[key] = '';
    }
  }
  if (form.dari) filter.from = startOfLocalDay(form.dari, timeZone);
  if (form.sampai) filter.to = startOfLocalDay(nextDay(form.sampai), timeZone);
  if (filter.from && filter.to && filter.from >= filter.to) problems.push('Tanggal akhir harus sama dengan atau sesudah tanggal awal.');
  return { form, store: filter, problems };
}

/** Who did it, as people know them. */
function actorOf(id: string, users: Map<string, User>): { name: string; username: string } {
  const user = users.get(id);
  if (user) return { name: user.displayName, username: user.username };
  return id === 'system' || id === 'seed' ? { name: 'Sistem', username: '' } : { name: 'Pengguna tidak dikenal', username: id };
}

export function auditRoutes(router: Router, ctx: AdminContext): void {
  const { base, store, render, access } = ctx;
  const admin = access.requireRole('admin');

  const usersById = async () => new Map((await store.users.list()).map((user) => [user.id, user]));

  /** Where the thing an event changed can be opened, when it has a page. */
  async function openLink(event: AuditEvent, users: Map<string, User>): Promise<string | null> {
    const [kind] = event.action.split('.');
    if (kind === 'conversation') return `${base}/inbox/c/${encodeURIComponent(event.target)}`;
    if (kind === 'entry' || kind === 'draft') return `${base}/knowledge/entries/${encodeURIComponent(event.target)}`;
    if (kind === 'ticket') {
      const ticket = await store.tickets.byNumber(event.target);
      return ticket ? `${base}/inbox/tickets/${ticket.id}` : null;
    }
    if (kind === 'user') {
      const user = [...users.values()].find((candidate) => candidate.username === event.target);
      return user ? `${base}/users#u-${user.id}` : null;
    }
    if (event.action === 'settings.office') return `${base}/office`;
    if (event.action === 'settings.holidays') return `${base}/office/holidays?tahun=${encodeURIComponent(event.target.replace(/^libur-/u, ''))}`;
    return null;
  }

  /** The query string of the current filters, for "Lebih lama", the CSV link and target links. */
  const queryOf = (form: Filters['form'], extra: Record<string, string> = {}) => {
    const params = new URLSearchParams(Object.entries({ ...form, ...extra }).filter(([, value]) => value !== ''));
    const query = params.toString();
    return query ? `?${query}` : '';
  };

  router.get('/audit', admin, async (req: Request, res: Response) => {
    const timeZone = await officeTimeZone(store);
    const filters = filtersOf(req, timeZone);
    const before = text(req.query.sebelum, 40);
    const found = filters.problems.length ? [] : await store.audit.list({ ...filters.store, beforeId: before || undefined, limit: PAGE_SIZE + 1 });
    const page = found.slice(0, PAGE_SIZE);
    const older = found.length > PAGE_SIZE ? page.at(-1)!.id : null;
    const users = await usersById();
    const events = await Promise.all(
      page.map(async (event) => {
        const actor = actorOf(event.actorId, users);
        return {
          id: event.id,
          at: event.at.toISOString(),
          time: formatTime(event.at, timeZone),
          actorId: event.actorId,
          actor: actor.name,
          actorUsername: actor.username,
          action: event.action,
          label: auditActionLabel(event.action),
          target: event.target,
          // A conversation's id means nothing to people: its last characters are enough to tell two apart.
          targetLabel: event.action.startsWith('conversation.') ? `percakapan …${event.target.slice(-6)}` : event.target,
          targetFilter: `${base}/audit${queryOf({ ...filters.form, sasaran: event.target })}`,
          open: await openLink(event, users),
          summary: event.summary,
        };
      }),
    );
    if (wantsJson(req)) {
      if (filters.problems.length) return void res.status(400).json({ error: 'bad_request', message: filters.problems.join(' '), messageEn: 'invalid date filter' });
      return void res.json({ events, older });
    }
    const filtered = Object.values(filters.form).some(Boolean);
    render.page(res, 'audit', {
      title: 'Log audit',
      nav: 'audit',
      bodyClass: 'page-wide',
      styles: ['settings.css'],
      flash: filters.problems.length ? { kind: 'error', text: filters.problems.join(' ') } : null,
      form: filters.form,
      people: [...users.values()].sort((a, b) => a.displayName.localeCompare(b.displayName)).map((user) => ({ id: user.id, label: `${user.displayName} (${user.username})${user.disabled ? ' – nonaktif' : ''}` })),
      groups: AUDIT_ACTIONS.map((group) => ({ label: group.group, actions: Object.entries(group.actions).map(([value, label]) => ({ value, label })) })),
      events,
      filtered,
      paged: Boolean(before),
      newest: `${base}/audit${queryOf(filters.form)}`,
      older: older ? `${base}/audit${queryOf(filters.form, { sebelum: older })}` : null,
      csv: `${base}/audit/csv${queryOf(filters.form)}`,
      timeZone,
    });
  });

  router.get('/audit/csv', admin, async (req, res) => {
    const timeZone = await officeTimeZone(store);
    const filters = filtersOf(req, timeZone);
    if (filters.problems.length) {
      if (wantsJson(req)) return void res.status(400).json({ error: 'bad_request', message: filters.problems.join(' '), messageEn: 'invalid date filter' });
      return render.message(req, res, 400, 'Filter tidak valid', filters.problems.join(' '));
    }
    const events = await store.audit.list({ ...filters.store, limit: CSV_LIMIT });
    const users = await usersById();
    const rows = [
      ['Waktu', 'Orang', 'Nama pengguna', 'Tindakan', 'Kode tindakan', 'Sasaran', 'Ringkasan'],
      ...events.map((event) => {
        const actor = actorOf(event.actorId, users);
        return [formatTime(event.at, timeZone), actor.name, actor.username, auditActionLabel(event.action), event.action, event.target, event.summary];
      }),
    ];
    const day = new Date().toISOString().slice(0, 10);
    res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="log-audit-${day}.csv"` });
    // A byte-order mark, so spreadsheet programs read the file as UTF-8 (names with accents, "→").
    res.send(`\uFEFF${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`);
  });
}

/**
 * One CSV cell: quoted, quotes doubled, and a leading = + - @ neutralised
 * (a summary typed by staff must not run as a formula in a spreadsheet).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/u.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/gu, '""')}"`;
}
