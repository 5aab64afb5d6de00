/** What every group of admin routes receives from adminArea(). */
import type { Request, Response } from 'express';
import { OFFICE_SETTING } from '../bot/knowledge-base.js';
import type { Logger } from '../bot/log.js';
import type { Store } from '../bot/store/types.js';
import type { OfficeProfile } from '../knowledge/schema.js';
import type { accessControl } from './access.js';
import type { Renderer } from './render.js';
import type { Sessions } from './sessions.js';
import type { FailureCounter } from './throttle.js';
import type { Totp } from './totp.js';
import type { WhatsappControl } from './whatsapp.js';

/** The part of the delivery path the admin area uses: putting a failed message back on its way. */
export interface RetryingOutbox {
  /** Resolves false when it cannot (the channel is not running here, or the message is no longer failed). */
  retry?(messageId: string): Promise<unknown>;
}

export interface AdminContext {
  base: string;
  store: Store;
  log: Logger;
  requireAdminTotp: boolean;
  sessions: Sessions;
  totp: Totp;
  render: Renderer;
  access: ReturnType<typeof accessControl>;
  throttle: { ip: FailureCounter; unknownUser: FailureCounter };
  whatsappControl?: WhatsappControl;
  outbox?: RetryingOutbox;
}

/** A form field as a string ('' when missing or not a string). */
export function field(req: Request, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body && typeof body === 'object' ? body[name] : undefined;
  return typeof value === 'string' ? value : '';
}

const DEFAULT_TIME_ZONE = 'Asia/Jakarta';

/** The office's time zone (from its profile), for showing times as the staff read them. */
export async function officeTimeZone(store: Store): Promise<string> {
  const office = await store.settings.get<OfficeProfile>(OFFICE_SETTING);
  return office?.timeZone ?? DEFAULT_TIME_ZONE;
}

/** "22 Nov 2026, 14.05 WITA" */
export function formatTime(value: Date | string | null | undefined, timeZone: string): string {
  if (!value) return '–';
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return '–';
  return new Intl.DateTimeFormat('id-ID', { timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(date);
}

/** A short notice chosen by a code in the query string (?pesan=…): fixed texts only, nothing from the URL is shown. */
export function flashFrom(req: Request, texts: Record<string, string>): { kind: 'ok'; text: string } | null {
  const code = typeof req.query.pesan === 'string' ? req.query.pesan : '';
  return Object.hasOwn(texts, code) ? { kind: 'ok', text: texts[code]! } : null;
}

export type Handler = (req: Request, res: Response) => Promise<void> | void;
