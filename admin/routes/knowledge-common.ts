/** What the knowledge-base pages (admin/routes/knowledge*.ts) share. */
import type { Request, Response } from 'express';
import type { KnowledgeBase } from '../../bot/knowledge-base.js';
import { KnowledgeEditError, mayReview, type KnowledgeEditor } from '../../bot/knowledge-editing.js';
import type { Store, User } from '../../bot/store/types.js';
import { authOf, wantsJson } from '../access.js';
import { officeTimeZone } from '../context.js';
import { todayIn } from './knowledge-view.js';

export interface KnowledgeDeps {
  knowledge: KnowledgeBase;
  editor: KnowledgeEditor;
}

export const userOf = (res: Response): User => authOf(res)!.user;
export const reviewer = (res: Response): boolean => mayReview(userOf(res));

/** Staff names by id, for "by whom" in drafts and history; the shipped data is "Data awal". */
export async function staffNames(store: Store): Promise<Map<string, string>> {
  const names = new Map((await store.users.list()).map((user) => [user.id, user.displayName]));
  names.set('seed', 'Data awal');
  return names;
}

export async function officeToday(store: Store): Promise<{ timeZone: string; today: string }> {
  const timeZone = await officeTimeZone(store);
  return { timeZone, today: todayIn(timeZone) };
}

/**
 * A refused edit (KnowledgeEditError): JSON callers get its status, message
 * and field problems; pages are shown again by `show` with the message.
 * Anything else is a real error for the router's error handler.
 */
export async function refused(
  error: unknown,
  req: Request,
  res: Response,
  show: (status: number, message: string, fields: { path: string; message: string }[]) => Promise<void> | void,
): Promise<void> {
  if (!(error instanceof KnowledgeEditError)) throw error;
  if (wantsJson(req)) return void res.status(error.status).json({ error: 'refused', message: error.message, fields: error.fields });
  await show(error.status, error.message, error.fields);
}

/** A positive whole number from a form or URL, or null. */
export function wholeNumber(value: unknown): number | null {
  return typeof value === 'string' && /^\d{1,9}$/u.test(value) ? Number(value) : null;
}
