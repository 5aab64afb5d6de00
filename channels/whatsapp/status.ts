/**
 * The WhatsApp connection's status as admins see it. The instance holding
 * the connection writes it to the store (settings `whatsapp.status`) on
 * every change, so the admin page on any instance shows it live (it polls
 * the setting): the QR code to scan, a pairing code, who is linked, and why
 * the connection stopped.
 */
import type { SettingsRepository } from '../../bot/store/types.js';

export const STATUS_SETTING = 'whatsapp.status';

export type WhatsAppState =
  /** WHATSAPP_ENABLED is false. */
  | 'disabled'
  /** Opening the connection (or waiting to retry). */
  | 'connecting'
  /** Not linked yet: scan `qr` (or type `pairingCode`) on the office phone. */
  | 'qr'
  /** Connected: citizens' messages are answered. */
  | 'open'
  /** Lost; retrying with backoff (see `retryAt`). */
  | 'closed'
  /** The phone removed the linked device (or an admin logged out): pair again. */
  | 'logged_out'
  /** WhatsApp refused the number (403): it may be banned. Nothing is retried. */
  | 'banned';

export interface WhatsAppStatus {
  state: WhatsAppState;
  /** The raw QR string (the admin page renders it as a QR code); changes about every 20 s. */
  qr?: string;
  /** The 8-character code to type on the phone (Linked devices → Link with phone number). */
  pairingCode?: string;
  /** The linked number, masked (6281****890). */
  me?: string;
  /** When the connection entered this state (ISO). */
  since: string;
  /** Why the last connection ended, in words an admin can act on. */
  lastError?: string;
  /** When the next connection attempt is due (state `closed`). */
  retryAt?: string;
  /** Which instance holds the connection (hostname:pid). */
  instance: string;
  /** When the holder last wrote this (ISO): a status that stops updating means the holder died. */
  updatedAt: string;
}

/** 6281234567890@s.whatsapp.net (or :12 device suffix) → 6281****890. */
export function maskJid(jid: string | undefined | null): string | undefined {
  if (!jid) return undefined;
  const user = jid.split('@')[0]!.split(':')[0]!;
  if (!/^\d+$/u.test(user)) return undefined;
  return user.length <= 7 ? `${user.slice(0, 2)}****` : `${user.slice(0, 4)}****${user.slice(-3)}`;
}

export async function readStatus(settings: SettingsRepository): Promise<WhatsAppStatus | null> {
  return settings.get<WhatsAppStatus>(STATUS_SETTING);
}

export function writeStatus(settings: SettingsRepository, status: WhatsAppStatus): Promise<void> {
  return settings.put(STATUS_SETTING, status);
}
