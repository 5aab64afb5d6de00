/**
 * "Data warga": a citizen's requests about their personal data (UU 27/2022), admins only.
 *
 *   GET  /privacy?q=…                  find the citizen by phone number, WhatsApp/Telegram id or
 *                                      ticket number; show what is held and the retention setting
 *   POST /privacy/contacts/:id/export  everything held, as a JSON download (audit: privacy.export)
 *   POST /privacy/contacts/:id/erase   erase it, after typing the phone number or HAPUS (audit: privacy.erase)
 *
 * The work is in bot/privacy.ts; this file only reads forms and shows pages. Erasure is refused
 * while a complaint is still being handled or an agent is in the conversation: the page says why
 * and links to the inbox.
 */
import type { Request, Response, Router } from 'express';
import {
  describeSubjects,
  eraseSubject,
  exportSubject,
  findSubjects,
  parseSubjectQuery,
  RETENTION_HOUR_UTC,
  RETENTION_SETTING,
  retentionSlot,
  type RetentionStatus,
  type SubjectQuery,
  type SubjectSummary,
} from '../../bot/privacy.js';
import { authOf } from '../access.js';
import { field, flashFrom, formatTime, officeTimeZone, type AdminContext } from '../context.js';

const NOTICES = {
  dihapus:
    'Data pribadi warga itu sudah dihapus: isi pesan, berkas, nama, nomor HP dan ID kanalnya. Catatan tanpa identitas (tanggal, kanal, kategori dan status pengaduan) tetap ada untuk statistik. Tindakan ini tercatat di log audit.',
};

const QUERY_LABELS: Record<SubjectQuery['kind'], string> = {
  ticket: 'nomor pengaduan',
  phone: 'nomor HP / WhatsApp',
  id: 'ID kanal',
};

/** How long a channel id is shown: web session ids are long and mean nothing to anyone. */
const shortId = (id: string) => (id.length > 28 ? `${id.slice(0, 12)}…${id.slice(-6)}` : id);

export function privacyRoutes(router: Router, ctx: AdminContext): void {
  const { base, store, log, render, access } = ctx;
  const admin = access.requireRole('admin');

  const retentionView = async (timeZone: string) => {
    const status = await store.settings.get<RetentionStatus>(RETENTION_SETTING);
    const days = status?.days ?? null;
    const last = status?.lastRun;
    const slot = retentionSlot(new Date());
    return {
      known: days !== null,
      on: Boolean(days && days > 0),
      days,
      time: new Intl.DateTimeFormat('id-ID', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(slot),
      hourUtc: RETENTION_HOUR_UTC,
      lastRun: last
        ? {
            at: formatTime(last.at, timeZone),
            cutoff: formatTime(last.cutoff, timeZone),
            counts: last.counts,
            complete: last.complete,
          }
        : null,
    };
  };

  const row = (summary: SubjectSummary, timeZone: string) => {
    const { contact } = summary;
    return {
      id: contact.id,
      channel: summary.channelLabel,
      externalId: summary.pseudonymised ? 'sudah dianonimkan' : shortId(contact.externalId),
      name: contact.name ?? '',
      phone: contact.phone ?? '',
      pseudonymised: summary.pseudonymised,
      counts: summary.counts,
      openTickets: summary.openTickets,
      withAgent: summary.withAgent,
      blocked: summary.openTickets.length > 0 || summary.withAgent,
      hasPhone: summary.phones.length > 0,
      firstActivity: formatTime(summary.firstActivity, timeZone),
      lastActivity: formatTime(summary.lastActivity, timeZone),
    };
  };

  const show = async (req: Request, res: Response, q: string, status = 200, extra: { error?: string; rowError?: { id: string; text: string } } = {}) => {
    const timeZone = await officeTimeZone(store);
    const query = parseSubjectQuery(q);
    const summaries = query ? await describeSubjects(store, await findSubjects(store, query)) : [];
    render.page(
      res,
      'privacy',
      {
        title: 'Data warga',
        nav: 'privacy',
        styles: ['privacy.css'],
        flash: extra.error ? null : flashFrom(req, NOTICES),
        error: extra.error ?? null,
        rowError: extra.rowError ?? null,
        q,
        searched: Boolean(query),
        queryLabel: query ? QUERY_LABELS[query.kind] : '',
        results: summaries.map((summary) => row(summary, timeZone)),
        retention: await retentionView(timeZone),
      },
      status,
    );
  };

  const actor = (res: Response) => authOf(res)!.user.id;
  const idOf = (req: Request) => String(req.params.id);
  /** The search the form came from, so a refused action shows the same results again. */
  const searchOf = (req: Request) => field(req, 'q').trim().slice(0, 200);

  router.get('/privacy', admin, (req, res) => show(req, res, typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : ''));

  router.post('/privacy/contacts/:id/export', admin, async (req, res) => {
    const exported = await exportSubject(store, idOf(req), { actorId: actor(res), log });
    if (!exported) return show(req, res, searchOf(req), 404, { error: 'Data warga itu tidak ditemukan (mungkin halaman ini sudah lama terbuka). Cari lagi.' });
    res.set({
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${exported.fileName}"`,
      'Cache-Control': 'no-store',
    });
    res.send(exported.json);
  });

  router.post('/privacy/contacts/:id/erase', admin, async (req, res) => {
    const id = idOf(req);
    const q = searchOf(req);
    const outcome = await eraseSubject(store, id, field(req, 'konfirmasi'), { actorId: actor(res), log });
    switch (outcome.status) {
      case 'erased':
        return res.redirect(303, `${base}/privacy?pesan=dihapus`);
      case 'missing':
        return show(req, res, q, 404, { error: 'Data warga itu tidak ditemukan (mungkin sudah dihapus). Cari lagi.' });
      case 'unconfirmed':
        return show(req, res, q, 400, { rowError: { id, text: 'Belum dihapus: ketik nomor HP warga itu, atau kata HAPUS, di kotak konfirmasi.' } });
      case 'blocked': {
        const reasons = [
          ...(outcome.openTickets.length ? [`pengaduan ${outcome.openTickets.join(', ')} masih berjalan`] : []),
          ...(outcome.withAgent ? ['percakapannya sedang menunggu atau dilayani petugas'] : []),
        ];
        return show(req, res, q, 409, { rowError: { id, text: `Belum dihapus: ${reasons.join(', dan ')}. Selesaikan atau tutup dulu di Kotak masuk, lalu hapus.` } });
      }
    }
  });
}
