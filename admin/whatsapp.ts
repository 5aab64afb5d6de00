/**
 * What the admin area knows about the WhatsApp connection: the status the
 * WhatsApp channel publishes in store.settings (`whatsapp.status`, written by
 * whichever instance holds the connection, so every instance can show it),
 * and the control object the channel hands to the admin area to pair and
 * unpair the office's number.
 */
import { normalizePhone } from '../bot/personal-data.js';
import { STATUS_SETTING, type WhatsAppState, type WhatsAppStatus } from '../channels/whatsapp/status.js';
import { qrDataUrl } from './totp.js';

/** Where the channel writes its status (channels/whatsapp/status.ts owns its shape). */
export const WHATSAPP_STATUS_SETTING = STATUS_SETTING;

export const WHATSAPP_STATES = ['disabled', 'connecting', 'qr', 'open', 'closed', 'logged_out', 'banned'] as const satisfies readonly WhatsAppState[];
export type WhatsappState = WhatsAppState;

/**
 * The channel's status as the page reads it: who holds the connection and when it
 * last wrote may be missing (a status written before those fields existed).
 */
export type WhatsappStatus = Omit<WhatsAppStatus, 'instance' | 'updatedAt'> & Partial<Pick<WhatsAppStatus, 'instance' | 'updatedAt'>>;

/** Provided by the WhatsApp channel; absent when WhatsApp is not enabled on this server. */
export interface WhatsappControl {
  /** Asks WhatsApp for an 8-character pairing code for this number (digits with country code, e.g. 6281234567890); the code appears in the status. */
  requestPairingCode(phone: string): Promise<void>;
  /** Unlinks this server from the office's WhatsApp account. */
  logout(): Promise<void>;
  /** Connects again now (after a logout, a ban, or to skip the backoff). Optional: the button shows only when present. */
  restart?(): Promise<void>;
}

/**
 * The message to show an admin when a control action fails: the channel's
 * own explanation when it is one meant for admins (WhatsAppActionError, or
 * any error carrying `adminMessage`), else null (the page says something generic).
 */
export function actionMessage(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const own = (error as { adminMessage?: unknown }).adminMessage;
  if (typeof own === 'string' && own) return own.slice(0, 300);
  return error.constructor.name === 'WhatsAppActionError' && error.message ? error.message.slice(0, 300) : null;
}

interface StateText {
  label: string;
  /** What the admin should do now. */
  hint: string;
  tone: 'ok' | 'wait' | 'bad' | 'off';
}

const TEXTS: Record<WhatsappState, StateText> = {
  disabled: { label: 'Tidak aktif', hint: 'Saluran WhatsApp dimatikan di server ini.', tone: 'off' },
  connecting: { label: 'Sedang menghubungkan…', hint: 'Tunggu sebentar; halaman ini diperbarui sendiri.', tone: 'wait' },
  qr: { label: 'Menunggu ditautkan', hint: 'Pindai kode QR di halaman ini dengan HP kantor, ikuti langkah-langkahnya.', tone: 'wait' },
  open: { label: 'Terhubung', hint: 'Bot menjawab pesan WhatsApp warga.', tone: 'ok' },
  closed: { label: 'Terputus', hint: 'Server mencoba menghubungkan lagi secara otomatis. Bila berlangsung lama, periksa koneksi internet server.', tone: 'bad' },
  logged_out: { label: 'Keluar dari WhatsApp', hint: 'Perangkat ini dilepas dari WhatsApp kantor. Tautkan ulang dengan memindai kode QR.', tone: 'bad' },
  banned: { label: 'Nomor diblokir WhatsApp', hint: 'WhatsApp memblokir nomor ini. Hubungi dukungan WhatsApp dari HP kantor; bot tidak dapat mengirim pesan.', tone: 'bad' },
};

export interface StatusView {
  enabled: boolean;
  state: WhatsappState | 'unknown';
  label: string;
  hint: string;
  tone: StateText['tone'];
  qrImage: string | null;
  pairingCode: string | null;
  me: string | null;
  since: string | null;
  lastError: string | null;
  retryAt: string | null;
}

let lastQr: { text: string; image: Promise<string> } | undefined;

/** The status as the page shows it (labels in Indonesian, the QR already an image). */
export async function statusView(status: WhatsappStatus | null, enabled: boolean): Promise<StatusView> {
  if (!enabled) {
    return { enabled, state: 'disabled', ...TEXTS.disabled, hint: 'WhatsApp tidak diaktifkan di server ini.', qrImage: null, pairingCode: null, me: null, since: status?.since ?? null, lastError: null, retryAt: null };
  }
  const state = status && (WHATSAPP_STATES as readonly string[]).includes(status.state) ? status.state : null;
  if (!state) {
    return { enabled, state: 'unknown', label: 'Belum ada kabar', hint: 'Saluran WhatsApp belum melaporkan statusnya. Tunggu sebentar setelah server dinyalakan.', tone: 'wait', qrImage: null, pairingCode: null, me: null, since: null, lastError: null, retryAt: null };
  }
  let qrImage: string | null = null;
  if (state === 'qr' && typeof status!.qr === 'string' && status!.qr.length > 0 && status!.qr.length < 2000) {
    if (lastQr?.text !== status!.qr) lastQr = { text: status!.qr, image: qrDataUrl(status!.qr) };
    qrImage = await lastQr.image;
  }
  return {
    enabled,
    state,
    ...TEXTS[state],
    qrImage,
    pairingCode: state !== 'open' && status!.pairingCode ? formatPairingCode(status!.pairingCode) : null,
    me: status!.me ? formatMe(status!.me) : null,
    since: typeof status!.since === 'string' ? status!.since : null,
    lastError: status!.lastError ? status!.lastError.slice(0, 300) : null,
    retryAt: state === 'closed' && typeof status!.retryAt === 'string' ? status!.retryAt : null,
  };
}

/** "ABCD1234" → "ABCD-1234" (how WhatsApp shows it on the phone). */
export function formatPairingCode(code: string): string {
  const clean = code.replace(/[^A-Za-z0-9]/gu, '').toUpperCase();
  return clean.length === 8 ? `${clean.slice(0, 4)}-${clean.slice(4)}` : clean;
}

/** "6281234567890:12@s.whatsapp.net" → "+62 812-3456-7890": the office's own number, shown in full to admins. */
export function formatMe(me: string): string {
  if (me.includes('*')) return me.split(/[:@]/u)[0]!.slice(0, 40);
  const digits = me.split(/[:@]/u)[0]!.replace(/\D/gu, '');
  if (!digits) return me.slice(0, 40);
  if (digits.startsWith('62')) {
    const rest = digits.slice(2);
    return `+62 ${rest.slice(0, 3)}-${rest.slice(3, 7)}-${rest.slice(7)}`.replace(/-$/u, '');
  }
  return `+${digits}`;
}

/** An Indonesian mobile number in the form WhatsApp's pairing wants (62812…), or null. */
export function pairingPhone(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 40) return null;
  const local = normalizePhone(input);
  return local ? `62${local.slice(1)}` : null;
}
