/**
 * Staff roles, ordered: agent < supervisor < admin. Whatever a lower role
 * may do, every higher role may too; checks name the lowest role allowed.
 */
import { ROLES, type Role } from './store/types.js';

export { ROLES, type Role };

const RANK: Record<Role, number> = { agent: 0, supervisor: 1, admin: 2 };

/** True when `role` is `minimum` or higher. */
export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
