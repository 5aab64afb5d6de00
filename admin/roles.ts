/** How staff roles look in the admin area (the ranking itself: bot/roles.ts). */
import type { Role } from '../bot/roles.js';

export { hasRole, isRole, ROLES, type Role } from '../bot/roles.js';

/** How the UI names each role. */
export const ROLE_LABELS: Record<Role, string> = {
  agent: 'Petugas',
  supervisor: 'Supervisor',
  admin: 'Admin',
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  agent: 'melayani percakapan dan tiket warga',
  supervisor: 'petugas + memantau tim, tiket rahasia dan pengiriman gagal',
  admin: 'supervisor + mengelola pengguna, WhatsApp dan pengaturan',
};

/** Login names: lower case, stored as typed (the store looks them up lower-cased). */
export const USERNAME = /^[a-z0-9][a-z0-9._-]{2,31}$/u;
export const USERNAME_RULE = '3–32 huruf kecil, angka, titik, garis bawah atau tanda hubung, diawali huruf atau angka (mis. budi.santoso)';
