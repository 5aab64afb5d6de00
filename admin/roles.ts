/**
 * Staff roles, ordered: agent < supervisor < admin. A route names the lowest
 * role that may use it; every higher role may too.
 */
import { ROLES, type Role } from '../bot/store/types.js';

export { ROLES, type Role };

const RANK: Record<Role, number> = { agent: 0, supervisor: 1, admin: 2 };

/** True when `role` is `minimum` or higher. */
export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

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
