/**
 * Linking the office's WhatsApp number (admins only).
 *
 *   GET  /whatsapp                  status, QR code, pairing by code, step-by-step help
 *   GET  /api/whatsapp/status       the same status as JSON; the page polls it every 2 s
 *   POST /whatsapp/pairing-code     {phone} → asks WhatsApp for a pairing code (shown in the status)
 *   POST /whatsapp/logout           unlinks this server from the WhatsApp account
 *   POST /whatsapp/restart          connects again now (after a logout, a ban, or to skip the wait)
 *
 * The status comes from store.settings (`whatsapp.status`), written by the
 * instance that holds the connection, so any instance can serve this page.
 * Polling (rather than a stream) keeps it working behind any proxy.
 */
import type { Request, Response, Router } from 'express';
import { authOf, wantsJson } from '../access.js';
import { field, formatTime, officeTimeZone, type AdminContext } from '../context.js';
import { sendAdminError } from '../errors.js';
import { recordAudit } from '../../bot/audit.js';
import { maskPersonalData } from '../../bot/personal-data.js';
import { actionMessage, pairingPhone, statusView, WHATSAPP_STATUS_SETTING, type WhatsappStatus } from '../whatsapp.js';

const NOTICES: Record<string, string> = {
  kode: 'Permintaan kode tautan dikirim ke WhatsApp. Kodenya muncul di halaman ini dalam beberapa detik.',
  keluar: 'Server sudah dilepas dari WhatsApp. Untuk menautkan lagi, pindai kode QR yang akan muncul.',
  ulang: 'Server sedang menghubungkan ulang ke WhatsApp. Status di atas diperbarui sendiri.',
};

export function whatsappRoutes(router: Router, ctx: AdminContext): void {
  const { base, store, log, render, access, whatsappControl } = ctx;
  const admin = access.requireRole('admin');

  const current = async () => {
    const status = await store.settings.get<WhatsappStatus>(WHATSAPP_STATUS_SETTING);
    const view = await statusView(status, Boolean(whatsappControl));
    const timeZone = await officeTimeZone(store);
    return { ...view, sinceText: view.since ? formatTime(view.since, timeZone) : null, retryAtText: view.retryAt ? formatTime(view.retryAt, timeZone) : null };
  };

  const show = async (req: Request, res: Response, status = 200, error: string | null = null, phone = '') => {
    const code = typeof req.query.pesan === 'string' ? req.query.pesan : '';
    render.page(
      res,
      'whatsapp',
      {
        title: 'WhatsApp',
        nav: 'whatsapp',
        flash: error ? { kind: 'error', text: error } : Object.hasOwn(NOTICES, code) ? { kind: 'ok', text: NOTICES[code]! } : null,
        status: await current(),
        enabled: Boolean(whatsappControl),
        canRestart: typeof whatsappControl?.restart === 'function',
        phone,
        scripts: ['whatsapp.js'],
      },
      status,
    );
  };

  router.get('/whatsapp', admin, (req, res) => show(req, res));

  router.get('/api/whatsapp/status', admin, async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json(await current());
  });

  router.post('/whatsapp/pairing-code', admin, async (req, res) => {
    const json = wantsJson(req);
    if (!whatsappControl) return json ? sendAdminError(res, 'whatsapp_disabled') : show(req, res, 409, 'WhatsApp tidak diaktifkan di server ini.');
    const input = field(req, 'phone');
    const phone = pairingPhone(input);
    if (!phone) return json ? sendAdminError(res, 'invalid_phone') : show(req, res, 400, 'Nomor HP tidak valid. Tulis nomor WhatsApp kantor, mis. 0812 3456 7890.', input);
    try {
      await whatsappControl.requestPairingCode(phone);
    } catch (error) {
      log.warn({ err: error }, 'admin: WhatsApp pairing code request failed');
      const text = maskPersonalData(actionMessage(error) ?? 'WhatsApp menolak permintaan kode. Pastikan status di atas "Menunggu ditautkan", periksa nomornya, lalu coba lagi sebentar lagi.');
      return json ? res.status(502).json({ error: 'pairing_failed', message: text, messageEn: 'requestPairingCode failed; see the server log.' }) : show(req, res, 502, text, input);
    }
    log.info({ by: authOf(res)!.user.id }, 'admin: WhatsApp pairing code requested');
    await recordAudit(store, { actorId: authOf(res)!.user.id, action: 'whatsapp.pairing-code', target: 'whatsapp', summary: `Kode tautan diminta untuk nomor ${phone}` });
    if (json) return void res.json({ ok: true });
    res.redirect(303, `${base}/whatsapp?pesan=kode`);
  });

  router.post('/whatsapp/logout', admin, async (req, res) => {
    const json = wantsJson(req);
    if (!whatsappControl) return json ? sendAdminError(res, 'whatsapp_disabled') : show(req, res, 409, 'WhatsApp tidak diaktifkan di server ini.');
    try {
      await whatsappControl.logout();
    } catch (error) {
      log.warn({ err: error }, 'admin: WhatsApp logout failed');
      const text = maskPersonalData(actionMessage(error) ?? 'Gagal melepas WhatsApp. Coba lagi, atau lepas perangkat ini dari HP kantor: WhatsApp → Perangkat tertaut → pilih perangkat → Keluar.');
      return json ? res.status(502).json({ error: 'logout_failed', message: text, messageEn: 'logout failed; see the server log.' }) : show(req, res, 502, text);
    }
    log.warn({ by: authOf(res)!.user.id }, 'admin: WhatsApp unlinked by an admin');
    await recordAudit(store, { actorId: authOf(res)!.user.id, action: 'whatsapp.logout', target: 'whatsapp', summary: 'Server dilepas dari nomor WhatsApp kantor' });
    if (json) return void res.json({ ok: true });
    res.redirect(303, `${base}/whatsapp?pesan=keluar`);
  });

  router.post('/whatsapp/restart', admin, async (req, res) => {
    const json = wantsJson(req);
    if (!whatsappControl?.restart) return json ? sendAdminError(res, 'whatsapp_disabled') : show(req, res, 409, 'WhatsApp tidak diaktifkan di server ini.');
    try {
      await whatsappControl.restart();
    } catch (error) {
      log.warn({ err: error }, 'admin: WhatsApp restart failed');
      const text = maskPersonalData(actionMessage(error) ?? 'Gagal menghubungkan ulang. Coba lagi sebentar lagi; bila tetap gagal, periksa log server.');
      return json ? res.status(502).json({ error: 'restart_failed', message: text, messageEn: 'restart failed; see the server log.' }) : show(req, res, 502, text);
    }
    log.info({ by: authOf(res)!.user.id }, 'admin: WhatsApp reconnect requested');
    await recordAudit(store, { actorId: authOf(res)!.user.id, action: 'whatsapp.restart', target: 'whatsapp', summary: 'Koneksi WhatsApp dimulai ulang' });
    if (json) return void res.json({ ok: true });
    res.redirect(303, `${base}/whatsapp?pesan=ulang`);
  });
}
