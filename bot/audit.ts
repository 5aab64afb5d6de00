/**
 * The audit log: who changed which entry, setting, user, ticket or
 * conversation, and when (admins browse it at /admin/audit). Every writer
 * goes through `recordAudit`, so summaries are always masked (NIK, KK and
 * phone numbers never reach the log) and only people are recorded: the
 * bot's, the citizen's and the system's own changes are in each ticket's
 * history and the server log instead.
 */
import { maskPersonalData } from './personal-data.js';
import type { AuditEvent, Store } from './store/types.js';
import type { ChannelName } from './types.js';

/** Ticket-event actors that are not staff accounts. */
const NOT_STAFF = new Set(['citizen', 'bot', 'system', 'seed']);

/** A staff member's user id, as opposed to `citizen`, `bot`, `system`. */
export function isStaffActor(actor: string): boolean {
  return !NOT_STAFF.has(actor);
}

/** Summaries stay one readable line. */
const MAX_SUMMARY = 500;

export type AuditRecord = Pick<AuditEvent, 'actorId' | 'action' | 'target' | 'summary'>;

/** Writes one audit event for a person's change (nothing for bot, citizen or system). */
export async function recordAudit(store: Pick<Store, 'audit'>, record: AuditRecord): Promise<void> {
  if (!isStaffActor(record.actorId)) return;
  const summary = maskPersonalData(record.summary.replace(/\s+/gu, ' ').trim());
  await store.audit.add({ ...record, summary: summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY - 1)}…` : summary });
}

/** How the log names each action, by group (the filter on the audit page offers these). */
export const AUDIT_ACTIONS: { group: string; actions: Record<string, string> }[] = [
  {
    group: 'Pengguna',
    actions: {
      'user.create': 'Pengguna dibuat',
      'user.role': 'Peran diubah',
      'user.disable': 'Pengguna dinonaktifkan',
      'user.enable': 'Pengguna diaktifkan',
      'user.capacity': 'Kapasitas percakapan diubah',
      'user.password-reset': 'Kata sandi dipasang admin',
      'user.totp-reset': 'Verifikasi 2 langkah dihapus admin',
      'user.unlock': 'Kunci akun dibuka',
    },
  },
  {
    group: 'Akun sendiri',
    actions: {
      'account.password': 'Kata sandi sendiri diganti',
      'account.totp-on': 'Verifikasi 2 langkah dipasang',
      'account.totp-off': 'Verifikasi 2 langkah dimatikan',
    },
  },
  {
    group: 'Tiket',
    actions: {
      'ticket.status': 'Status tiket diubah',
      'ticket.priority': 'Prioritas tiket diubah',
      'ticket.category': 'Kategori tiket diubah',
      'ticket.kecamatan': 'Kecamatan tiket diubah',
      'ticket.assign': 'Petugas tiket diubah',
    },
  },
  {
    group: 'Percakapan',
    actions: {
      'conversation.assign': 'Percakapan dialihkan',
      'conversation.close': 'Percakapan ditutup',
    },
  },
  {
    group: 'Basis pengetahuan',
    actions: {
      'draft.create': 'Draf dibuat',
      'draft.save': 'Draf disimpan',
      'draft.submit': 'Draf diajukan',
      'draft.reject': 'Draf dikembalikan',
      'draft.rebase': 'Draf disesuaikan ke versi terbaru',
      'entry.publish': 'Entri diterbitkan',
      'entry.rollback': 'Entri dikembalikan ke versi lama',
      'entry.withdraw': 'Entri ditarik',
      'knowledge.import': 'Entri diimpor dari berkas',
    },
  },
  {
    group: 'Pengaturan',
    actions: {
      'settings.office': 'Profil kantor diubah',
      'settings.holidays': 'Hari libur diubah',
      'whatsapp.pairing-code': 'Kode tautan WhatsApp diminta',
      'whatsapp.logout': 'WhatsApp dilepas',
      'whatsapp.restart': 'WhatsApp dihubungkan ulang',
    },
  },
];

const LABELS = new Map(AUDIT_ACTIONS.flatMap((group) => Object.entries(group.actions)));

/** "Status tiket diubah" for `ticket.status`; an action not in the list shows as its code. */
export function auditActionLabel(action: string): string {
  return LABELS.get(action) ?? action;
}

/** Channel names as staff say them, for summaries. */
export const CHANNEL_NAMES: Record<ChannelName, string> = { web: 'web chat', telegram: 'Telegram', whatsapp: 'WhatsApp' };
