/**
 * What the inbox routes share: their dependencies, who the viewer is, and one way to answer
 * errors (JSON for the page scripts, a page or a notice for forms).
 */
import type { Request, Response } from 'express';
import type { Dispatcher } from '../../bot/dispatcher.js';
import { HelpdeskError, type Helpdesk } from '../../bot/helpdesk.js';
import type { Conversation, Store, User } from '../../bot/store/types.js';
import { authOf, wantsJson } from '../access.js';
import { officeTimeZone, type AdminContext } from '../context.js';
import type { Flash } from '../render.js';

export interface InboxDeps {
  helpdesk: Helpdesk;
  /** The live events and the ticket service (status changes notify the citizen). */
  dispatcher: Pick<Dispatcher, 'events' | 'tickets'>;
}

export type InboxContext = AdminContext & InboxDeps;

export function userOf(res: Response): User {
  return authOf(res)!.user;
}

/** Display names of every staff account, by id. */
export async function staffNames(store: Store): Promise<Map<string, string>> {
  return new Map((await store.users.list()).map((user) => [user.id, user.displayName]));
}

export async function viewerBasics(store: Store, user: User) {
  const [names, timeZone] = await Promise.all([staffNames(store), officeTimeZone(store)]);
  return { user, names, timeZone, now: new Date() };
}

/**
 * Reports against staff (pungli, calo) are for supervisors only, and the
 * chat where a citizen made one tells the same story as the ticket: an
 * agent may open such a conversation only when a supervisor gave it to them.
 */
/** The conversation, if this user may open it; throws HelpdeskError (404/403) otherwise. */
export function openable(ctx: InboxContext, user: User, conversationId: string): Promise<Conversation> {
  return ctx.helpdesk.visible(conversationId, user);
}

const CODES: Record<number, string> = { 400: 'invalid', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large' };

/** Answers a refused action: JSON for scripts, the "message" page for browsers. */
export function sendFailure(ctx: InboxContext, req: Request, res: Response, status: number, message: string, code = CODES[status] ?? 'error'): void {
  if (wantsJson(req)) return void res.status(status).json({ error: code, message });
  const titles: Record<number, string> = { 400: 'Isian belum lengkap', 403: 'Tidak ada akses', 404: 'Tidak ditemukan', 409: 'Sudah berubah' };
  ctx.render.message(req, res, status, titles[status] ?? 'Tidak bisa diproses', message);
}

/** Runs a handler; a HelpdeskError becomes its status and message. */
export function guarded(ctx: InboxContext, handler: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (error instanceof HelpdeskError) return sendFailure(ctx, req, res, error.status, error.message);
      throw error;
    }
  };
}

/** Notices after a form action, chosen by a code in the URL: fixed texts only. */
export const NOTICES: Record<string, Flash> = {
  diambil: { kind: 'ok', text: 'Percakapan ini sekarang Anda tangani. Warga sudah diberi tahu.' },
  'diambil-lain': { kind: 'error', text: 'Terlambat: percakapan ini sudah diambil petugas lain.' },
  dialihkan: { kind: 'ok', text: 'Percakapan sudah dialihkan.' },
  dikembalikan: { kind: 'ok', text: 'Percakapan dikembalikan ke bot. Bot menyapa warga dengan menu utama.' },
  ditutup: { kind: 'ok', text: 'Percakapan ditutup. Warga diminta memberi penilaian 1–5.' },
  terkirim: { kind: 'ok', text: 'Balasan terkirim.' },
  catatan: { kind: 'ok', text: 'Catatan internal disimpan (tidak dikirim ke warga).' },
  label: { kind: 'ok', text: 'Label disimpan.' },
  status: { kind: 'ok', text: 'Status tiket diubah. Warga sudah diberi tahu di salurannya.' },
  tiket: { kind: 'ok', text: 'Tiket diperbarui.' },
  'tiket-rahasia': { kind: 'info', text: 'Tiket dipindah ke kategori rahasia: sekarang hanya supervisor yang dapat melihatnya.' },
  'catatan-tiket': { kind: 'ok', text: 'Catatan ditambahkan ke riwayat tiket.' },
  kosong: { kind: 'error', text: 'Tulis isinya dulu.' },
};

export function noticeFrom(req: Request): Flash | null {
  const code = typeof req.query.pesan === 'string' ? req.query.pesan : '';
  return Object.hasOwn(NOTICES, code) ? NOTICES[code]! : null;
}
