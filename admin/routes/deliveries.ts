/**
 * Messages that never reached the citizen (supervisors and admins).
 *
 *   GET  /deliveries               the latest 100 outbound messages whose delivery finally failed
 *   POST /deliveries/:id/retry     puts one back on its way (only when the delivery path offers a retry)
 *
 * Recipients and message text are masked (phone numbers, NIK/KK): the page
 * is for spotting and fixing delivery problems, not for reading chats.
 */
import type { Router } from 'express';
import { maskPersonalData } from '../../bot/personal-data.js';
import type { Contact, Message } from '../../bot/store/types.js';
import { authOf, wantsJson } from '../access.js';
import { flashFrom, formatTime, officeTimeZone, type AdminContext } from '../context.js';
import { sendAdminError } from '../errors.js';

const LIMIT = 100;
const CHANNEL_LABELS: Record<string, string> = { whatsapp: 'WhatsApp', telegram: 'Telegram', web: 'Web chat' };

/** "6281234567890@s.whatsapp.net" → "6281****890"; short ids keep only their last two characters. */
export function maskRecipient(externalId: string): string {
  const id = externalId.split('@')[0]!.split(':')[0]!;
  if (id.length >= 8) return `${id.slice(0, 4)}****${id.slice(-3)}`;
  return `****${id.slice(-2)}`;
}

function preview(text: string): string {
  const masked = maskPersonalData(text.replace(/\s+/gu, ' ').trim());
  return masked.length > 120 ? `${masked.slice(0, 117)}…` : masked;
}

export function deliveryRoutes(router: Router, ctx: AdminContext): void {
  const { base, store, log, render, access, outbox } = ctx;
  const supervisor = access.requireRole('supervisor');
  const canRetry = typeof outbox?.retry === 'function';

  router.get('/deliveries', supervisor, async (req, res) => {
    const failed = await store.messages.failedDeliveries(LIMIT);
    const contacts = new Map<string, Contact | null>();
    for (const message of failed) if (!contacts.has(message.contactId)) contacts.set(message.contactId, await store.contacts.get(message.contactId));
    const timeZone = await officeTimeZone(store);
    const row = (message: Message) => {
      const contact = contacts.get(message.contactId);
      return {
        id: message.id,
        channel: CHANNEL_LABELS[message.channel] ?? message.channel,
        recipient: contact ? maskRecipient(contact.externalId) : '–',
        createdAt: formatTime(message.createdAt, timeZone),
        failedAt: formatTime(message.delivery?.updatedAt ?? null, timeZone),
        attempts: message.delivery?.attempts ?? 0,
        error: message.delivery?.lastError ? maskPersonalData(message.delivery.lastError).slice(0, 300) : 'tidak ada keterangan',
        text: preview(message.text),
        author: message.author === 'agent' ? 'petugas' : message.author === 'bot' ? 'bot' : 'sistem',
      };
    };
    render.page(res, 'deliveries', {
      title: 'Pengiriman gagal',
      nav: 'deliveries',
      flash: flashFrom(req, { ulang: 'Pesan dimasukkan lagi ke antrean kirim. Muat ulang halaman ini sebentar lagi untuk melihat hasilnya.' }),
      rows: failed.map(row),
      limit: LIMIT,
      canRetry,
    });
  });

  router.post('/deliveries/:id/retry', supervisor, async (req, res) => {
    if (!canRetry) return wantsJson(req) ? sendAdminError(res, 'retry_unavailable') : render.message(req, res, 409, 'Kirim ulang belum tersedia', 'Server ini belum menyediakan kirim ulang. Sampaikan isi pesan kepada warga lewat saluran lain.');
    const message = await store.messages.get(String(req.params.id));
    if (!message || message.direction !== 'out' || message.delivery?.status !== 'failed') {
      if (wantsJson(req)) return void res.status(404).json({ error: 'not_found', message: 'Pesan gagal itu tidak ditemukan (mungkin sudah dikirim ulang).', messageEn: 'No failed outbound message with this id.' });
      return render.message(req, res, 404, 'Pesan tidak ditemukan', 'Pesan gagal itu tidak ditemukan; mungkin sudah dikirim ulang. Kembali ke daftar pengiriman gagal.');
    }
    if ((await outbox!.retry!(message.id)) === false) {
      const text = `Pesan ini belum bisa dikirim ulang: saluran ${CHANNEL_LABELS[message.channel] ?? message.channel} tidak aktif di server ini saat ini. Aktifkan salurannya, lalu coba lagi.`;
      if (wantsJson(req)) return void res.status(409).json({ error: 'retry_refused', message: text, messageEn: 'The delivery path refused the retry (channel not running, or the message is no longer failed).' });
      return render.message(req, res, 409, 'Belum bisa dikirim ulang', text);
    }
    log.info({ messageId: message.id, by: authOf(res)!.user.id }, 'admin: failed delivery retried');
    if (wantsJson(req)) return void res.json({ ok: true });
    res.redirect(303, `${base}/deliveries?pesan=ulang`);
  });
}
