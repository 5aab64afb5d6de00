/**
 * The admin area's JSON errors, in the web chat's style: an HTTP status, a
 * stable code for programs, an Indonesian message the page can show as is,
 * and an English one for developers. Pages (HTML) show the same Indonesian
 * message in the layout instead.
 */
import type { Response } from 'express';

const ERRORS = {
  unauthenticated: {
    status: 401,
    message: 'Sesi Anda sudah berakhir. Silakan masuk lagi.',
    messageEn: 'Not signed in (no session cookie, or the session expired). POST /admin/login first.',
  },
  forbidden: {
    status: 403,
    message: 'Anda tidak memiliki akses ke halaman ini.',
    messageEn: 'Your role may not use this endpoint.',
  },
  csrf: {
    status: 403,
    message: 'Formulir ini sudah kedaluwarsa. Muat ulang halaman, lalu coba lagi.',
    messageEn: 'Missing or wrong CSRF token: send the session\'s token in the form field `_csrf` or the X-CSRF-Token header.',
  },
  totp_setup_required: {
    status: 403,
    message: 'Admin wajib mengaktifkan verifikasi dua langkah terlebih dahulu (menu Akun saya).',
    messageEn: 'ADMIN_REQUIRE_TOTP is on: set up two-factor sign-in at /admin/account first.',
  },
  not_found: {
    status: 404,
    message: 'Halaman tidak ditemukan.',
    messageEn: 'No such admin endpoint.',
  },
  whatsapp_disabled: {
    status: 409,
    message: 'WhatsApp tidak diaktifkan di server ini.',
    messageEn: 'The WhatsApp channel is not enabled on this server.',
  },
  invalid_phone: {
    status: 400,
    message: 'Nomor HP tidak valid. Tulis nomor WhatsApp kantor, mis. 0812 3456 7890.',
    messageEn: 'Give an Indonesian mobile number (08…, 62… or +62…).',
  },
  retry_unavailable: {
    status: 409,
    message: 'Kirim ulang belum tersedia di server ini.',
    messageEn: 'The delivery path offers no retry.',
  },
  too_large: {
    status: 413,
    message: 'Isian formulir terlalu panjang (paling banyak 32 KB). Persingkat isinya, lalu kirim lagi.',
    messageEn: 'The request body is too large (forms and JSON: 32 KB; uploads have their own limits).',
  },
  unsupported_type: {
    status: 415,
    message: 'Jenis isian ini tidak didukung. Kirim formulir dari halaman admin, lalu coba lagi.',
    messageEn: 'Unsupported Content-Type, charset or Content-Encoding: send a form, JSON or multipart body.',
  },
  bad_request: {
    status: 400,
    message: 'Isian formulir tidak bisa dibaca. Muat ulang halaman, lalu coba lagi.',
    messageEn: 'Malformed request body.',
  },
  internal: {
    status: 500,
    message: 'Maaf, sedang ada gangguan di server. Silakan coba lagi sebentar lagi.',
    messageEn: 'Internal server error; it has been logged.',
  },
} as const;

export type AdminErrorCode = keyof typeof ERRORS;

export function adminError(code: AdminErrorCode): { status: number; body: { error: AdminErrorCode; message: string; messageEn: string } } {
  const { status, message, messageEn } = ERRORS[code];
  return { status, body: { error: code, message, messageEn } };
}

export function sendAdminError(res: Response, code: AdminErrorCode): void {
  const { status, body } = adminError(code);
  res.status(status).json(body);
}
