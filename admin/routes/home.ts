/**
 * GET / : the start page after signing in. Links by role, and what needs
 * attention right now: two-factor not set up, WhatsApp unlinked or banned,
 * messages that failed to reach citizens.
 */
import type { Router } from 'express';
import { authOf } from '../access.js';
import type { AdminContext } from '../context.js';
import { hasRole } from '../roles.js';
import { statusView, WHATSAPP_STATUS_SETTING, type WhatsappStatus } from '../whatsapp.js';

export function homeRoutes(router: Router, ctx: AdminContext): void {
  const { base, store, render, access, whatsappControl } = ctx;

  router.get('/', access.requireRole('agent'), async (_req, res) => {
    const { user } = authOf(res)!;
    const links = [
      { href: `${base}/inbox`, title: 'Kotak masuk', text: 'Percakapan warga yang menunggu petugas, dan tiket pengaduan.', minimum: 'agent' as const },
      { href: `${base}/knowledge`, title: 'Basis pengetahuan', text: 'Ubah jawaban bot: syarat, langkah, biaya; ajukan dan setujui perubahan.', minimum: 'agent' as const },
      { href: `${base}/account`, title: 'Akun saya', text: 'Ganti kata sandi dan atur verifikasi dua langkah.', minimum: 'agent' as const },
      { href: `${base}/unanswered`, title: 'Pertanyaan tak terjawab', text: 'Pesan warga yang belum bisa dijawab bot; jadikan frasa entri atau entri baru.', minimum: 'supervisor' as const },
      { href: `${base}/dashboard`, title: 'Dasbor', text: 'Percakapan, topik, fallback, tiket, SLA dan kepuasan warga per rentang tanggal.', minimum: 'supervisor' as const },
      { href: `${base}/deliveries`, title: 'Pengiriman gagal', text: 'Pesan bot atau petugas yang tidak sampai ke warga.', minimum: 'supervisor' as const },
      { href: `${base}/whatsapp`, title: 'WhatsApp', text: 'Tautkan nomor WhatsApp kantor dan lihat status koneksinya.', minimum: 'admin' as const },
      { href: `${base}/users`, title: 'Pengguna', text: 'Tambah petugas, atur peran, nonaktifkan akun.', minimum: 'admin' as const },
      { href: `${base}/office`, title: 'Profil kantor', text: 'Alamat, jam layanan, nomor telepon, kecamatan dan kelurahan, hari libur.', minimum: 'admin' as const },
      { href: `${base}/audit`, title: 'Log audit', text: 'Siapa mengubah pengguna, tiket, entri dan pengaturan, dan kapan.', minimum: 'admin' as const },
    ].filter((link) => hasRole(user.role, link.minimum));

    const alerts: { text: string; href: string; action: string }[] = [];
    if (!user.totpSecret) alerts.push({ text: 'Verifikasi dua langkah belum aktif untuk akun Anda.', href: `${base}/account#dua-langkah`, action: 'Aktifkan' });
    if (hasRole(user.role, 'supervisor')) {
      const failed = (await store.messages.failedDeliveries(100)).length;
      if (failed > 0) alerts.push({ text: `${failed >= 100 ? '100+' : failed} pesan gagal terkirim ke warga.`, href: `${base}/deliveries`, action: 'Lihat' });
    }
    if (hasRole(user.role, 'admin') && whatsappControl) {
      const status = await statusView(await store.settings.get<WhatsappStatus>(WHATSAPP_STATUS_SETTING), true);
      if (status.state === 'qr') alerts.push({ text: 'WhatsApp kantor belum tertaut: buka halaman WhatsApp dan pindai kode QR dengan HP kantor.', href: `${base}/whatsapp`, action: 'Buka' });
      else if (status.tone === 'bad') alerts.push({ text: `WhatsApp: ${status.label}. ${status.hint}`, href: `${base}/whatsapp`, action: 'Buka' });
    }
    render.page(res, 'home', { title: 'Beranda', nav: 'home', links, alerts });
  });
}
