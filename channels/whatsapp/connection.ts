/**
 * The WhatsApp connection: one Baileys socket at a time, on the session
 * stored in our database (auth-state.ts), with our own reconnect policy
 * instead of "reconnect on every close" loops:
 *
 *   close, network-ish (428, 408, 500, 503, 440...)
 *                       → `closed`, retry after an exponential backoff with
 *                         jitter (1 s, 2 s, 4 s... capped at 60 s); the count
 *                         resets once a connection stayed open for a minute
 *   515 restart required (right after pairing) → reconnect at once
 *   401 logged out      → `logged_out`: the stored session is deleted and
 *                         never reconnected; after a pause a NEW, unlinked
 *                         session starts so the admin page shows a fresh QR
 *                         code to link the phone again (relinkAfterLogout)
 *   403 forbidden       → `banned`: nothing is retried (retrying a banned
 *                         number makes things worse); restart once resolved
 *   QR never scanned    → like a network close: a new QR after the backoff
 *
 * Every change is published as the `whatsapp.status` setting (status.ts).
 */
import { hostname } from 'node:os';
import type { Boom } from '@hapi/boom';
import {
  Browsers,
  DisconnectReason,
  fetchLatestWaWebVersion,
  makeWASocket,
  type ConnectionState,
  type UserFacingSocketConfig,
  type WASocket,
  type WAVersion,
} from '@whiskeysockets/baileys';
import type { Logger } from '../../bot/log.js';
import type { Store } from '../../bot/store/types.js';
import { clearAuthState, useStoreAuthState } from './auth-state.js';
import type { AuthCipher } from './crypto.js';
import { maskJid, writeStatus, type WhatsAppState, type WhatsAppStatus } from './status.js';

export interface BackoffOptions {
  /** First retry delay (default 1 s). */
  initialMs?: number;
  /** Longest delay (default 60 s). */
  maxMs?: number;
  /** A connection open this long resets the count (default 60 s). */
  stableMs?: number;
}

export interface ConnectionOptions {
  store: Pick<Store, 'keyValue' | 'settings'>;
  cipher: AuthCipher;
  log: Logger;
  /** This process, as shown to admins. */
  instance?: string;
  /** Extra Baileys settings (tests point `waWebSocketUrl` at a local server). */
  socketConfig?: Partial<UserFacingSocketConfig>;
  makeSocket?: (config: UserFacingSocketConfig) => WASocket;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Ask web.whatsapp.com for the current client version before connecting (default: only for the real server). */
  fetchVersion?: boolean;
  /** Called with every new socket (the inbound adapter attaches here); may return a detach function. */
  onSocket?: (socket: WASocket) => (() => void) | void;
  /**
   * After a logout, start a fresh (unlinked) session so a new QR code shows
   * up for the admin (default true). The logged-out session itself is never
   * reconnected.
   */
  relinkAfterLogout?: boolean;
  /** Told when the socket opens (true) and when it stops being open (false): the sender's availability. */
  onOpenChange?: (open: boolean) => void;
}

/** Thrown by admin actions that cannot run in the current state; the message is for the admin. */
export class WhatsAppActionError extends Error {}

const statusCodeOf = (error: unknown): number | undefined => {
  const boom = error as Boom | undefined;
  return boom?.output?.statusCode ?? (typeof (error as { statusCode?: unknown })?.statusCode === 'number' ? (error as { statusCode: number }).statusCode : undefined);
};

/** Why a connection ended, for the admin page. */
function describe(code: number | undefined, error: unknown): string {
  switch (code) {
    case DisconnectReason.loggedOut:
      return 'Perangkat dikeluarkan dari WhatsApp (logout). Hubungkan ulang dengan memindai kode QR.';
    case DisconnectReason.forbidden:
      return 'WhatsApp menolak nomor ini (403): kemungkinan diblokir. Periksa aplikasi WhatsApp di HP kantor.';
    case DisconnectReason.connectionReplaced:
      return 'Sesi diambil alih oleh koneksi lain dengan perangkat yang sama (440).';
    case DisconnectReason.connectionClosed:
      return 'Koneksi ke server WhatsApp terputus (428).';
    case DisconnectReason.connectionLost:
      return 'Koneksi ke server WhatsApp hilang atau habis waktu (408).';
    case DisconnectReason.badSession:
      return 'Sesi bermasalah (500); mencoba lagi.';
    case DisconnectReason.unavailableService:
      return 'Layanan WhatsApp sedang tidak tersedia (503).';
    case DisconnectReason.restartRequired:
      return 'WhatsApp meminta koneksi dimulai ulang (515).';
    default:
      return `Koneksi berakhir${code ? ` (${code})` : ''}: ${error instanceof Error ? error.message : 'tanpa keterangan'}`;
  }
}

/** "0812-3456-7890", "+62 812..." → "6281234567890" (the form WhatsApp's pairing expects). */
export function pairingPhone(input: string): string | undefined {
  let digits = input.replace(/\D/gu, '');
  if (digits.startsWith('0')) digits = `62${digits.slice(1)}`;
  return /^[1-9]\d{9,14}$/u.test(digits) ? digits : undefined;
}

let cachedVersion: Promise<WAVersion | undefined> | undefined;

export class WhatsAppConnection {
  private socket: WASocket | undefined;
  private open = false;
  private running = false;
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private detach: (() => void) | undefined;
  private current: WhatsAppStatus;
  private publishing: Promise<void> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  readonly instance: string;
  private readonly log: Logger;
  /** Every socket this connection created: tests count attempts over time. */
  readonly attemptTimes: number[] = [];

  /** Whether the socket is open; every change is reported to onOpenChange. */
  private set isOpen(open: boolean) {
    if (open === this.open) return;
    this.open = open;
    this.options.onOpenChange?.(open);
  }

  private get isOpen(): boolean {
    return this.open;
  }

  constructor(private readonly options: ConnectionOptions) {
    this.instance = options.instance ?? `${hostname()}:${process.pid}`;
    this.log = options.log.child({ channel: 'whatsapp' });
    this.current = { state: 'closed', since: new Date().toISOString(), instance: this.instance, updatedAt: new Date().toISOString() };
  }

  /** The socket, only while it is open (the sender's view). */
  get openSocket(): WASocket | undefined {
    return this.isOpen ? this.socket : undefined;
  }

  /** The current attempt's socket, open or not. */
  get rawSocket(): WASocket | undefined {
    return this.socket;
  }

  get status(): WhatsAppStatus {
    return this.current;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Opens the connection and keeps it open until stop(), a logout or a ban. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.attempts = 0;
    await this.connect();
  }

  /** Closes the connection without logging out (shutdown, or another instance takes over). */
  async stop(note = 'Instance ini berhenti memegang koneksi.'): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.clearTimers();
    await this.connecting;
    this.endSocket();
    if (wasRunning) this.publish({ state: 'closed', lastError: note, retryAt: undefined, qr: undefined, pairingCode: undefined });
    await this.publishing;
  }

  /** Starts over with a fresh backoff: after a logout, a ban, an expired QR, or to retry now. */
  async restart(): Promise<void> {
    await this.stop('Dimulai ulang oleh admin.');
    await this.start();
  }

  /** Links the office phone by number instead of QR: returns the 8-character code to type on the phone. */
  async requestPairingCode(phone: string): Promise<string> {
    const number = pairingPhone(phone);
    if (!number) throw new WhatsAppActionError('Nomor HP tidak valid. Contoh: 081234567890.');
    if (!this.running || this.current.state !== 'qr' || !this.socket) {
      throw new WhatsAppActionError('Belum siap: tunggu sampai kode QR tampil (status "qr"), lalu minta kode lagi.');
    }
    const raw = await this.socket.requestPairingCode(number);
    const code = raw.length === 8 ? `${raw.slice(0, 4)}-${raw.slice(4)}` : raw;
    this.publish({ pairingCode: code });
    return code;
  }

  /** Unlinks the device on WhatsApp's side and forgets the session (then offers a new QR code). */
  async logout(): Promise<void> {
    const socket = this.socket;
    if (socket && this.isOpen) {
      // The close that follows (401) clears the session and publishes `logged_out`.
      await socket.logout('Logout oleh admin SIRATU');
      await this.waitFor(['logged_out'], 10_000).catch(() => undefined);
      if (this.current.state === 'logged_out') return;
    }
    this.clearTimers();
    this.endSocket();
    // The admin wants to link a phone again (or another one): a fresh QR code follows.
    this.running = true;
    await this.loggedOut('Dilepas oleh admin.');
    await this.publishing;
  }

  /** Resolves when the status reaches one of `states` (tests, admin actions). */
  waitFor(states: WhatsAppState[], timeoutMs: number): Promise<WhatsAppStatus> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (states.includes(this.current.state)) return resolve(this.current);
        if (Date.now() - started > timeoutMs) return reject(new Error(`whatsapp status stayed ${this.current.state}`));
        setTimeout(check, 20);
      };
      check();
    });
  }

  private connect(): Promise<void> {
    this.connecting = this.openSocket_().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async openSocket_(): Promise<void> {
    if (!this.running) return;
    this.retryTimer = undefined;
    this.publish({ state: 'connecting', qr: undefined, pairingCode: undefined, retryAt: undefined });
    const auth = await useStoreAuthState(this.options.store.keyValue, this.options.cipher, this.log);
    const version = await this.version();
    if (!this.running) return;
    const baileysLog = this.log.child({ module: 'baileys' }, { level: this.log.levelVal > 40 ? this.log.level : 'warn' });
    const make = this.options.makeSocket ?? makeWASocket;
    const socket = make({
      auth: auth.state,
      logger: baileysLog,
      browser: Browsers.ubuntu('SIRATU'),
      // The office phone keeps getting notifications; we never show as "online".
      markOnlineOnConnect: false,
      // We answer what arrives from now on; the phone's full history stays on the phone. (The small
      // initial syncs stay on: Baileys learns the LID ↔ phone-number mappings from them.)
      syncFullHistory: false,
      ...(version ? { version } : {}),
      ...this.options.socketConfig,
    });
    this.socket = socket;
    this.isOpen = false;
    this.attemptTimes.push(Date.now());
    socket.ev.on('creds.update', () => {
      auth.saveCreds().catch((error: unknown) => this.log.error({ err: error }, 'whatsapp credentials not saved'));
    });
    socket.ev.on('connection.update', (update) => this.onUpdate(socket, update));
    const detach = this.options.onSocket?.(socket);
    this.detach = detach ?? undefined;
  }

  private async version(): Promise<WAVersion | undefined> {
    const fetchVersion = this.options.fetchVersion ?? !this.options.socketConfig?.waWebSocketUrl;
    if (!fetchVersion) return undefined;
    cachedVersion ??= Promise.race([
      fetchLatestWaWebVersion({}).then((result) => (result.isLatest ? result.version : undefined)),
      new Promise<undefined>((resolve) => {
        const timer: NodeJS.Timeout = setTimeout(() => resolve(undefined), 5000);
        timer.unref();
      }),
    ]).catch(() => undefined);
    return cachedVersion;
  }

  private onUpdate(socket: WASocket, update: Partial<ConnectionState>): void {
    if (socket !== this.socket) return; // a previous attempt's late event
    if (update.qr) this.publish({ state: 'qr', qr: update.qr });
    if (update.connection === 'connecting' && this.current.state !== 'qr') this.publish({ state: 'connecting' });
    if (update.connection === 'open') {
      this.isOpen = true;
      this.publish({ state: 'open', qr: undefined, pairingCode: undefined, lastError: undefined, retryAt: undefined, me: maskJid(socket.user?.id) });
      this.log.info({ me: maskJid(socket.user?.id) }, 'whatsapp connected');
      if (this.stableTimer) clearTimeout(this.stableTimer);
      this.stableTimer = setTimeout(() => (this.attempts = 0), this.options.backoff?.stableMs ?? 60_000);
      this.stableTimer.unref?.();
    }
    if (update.connection === 'close') void this.onClose(socket, update.lastDisconnect?.error);
  }

  private async onClose(socket: WASocket, error: unknown): Promise<void> {
    const wasQr = this.current.state === 'qr';
    this.isOpen = false;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
    if (socket === this.socket) this.endSocket();
    if (!this.running) return;
    const code = statusCodeOf(error);
    const lastError = describe(code, error);

    if (code === DisconnectReason.loggedOut) {
      this.log.warn('whatsapp logged out: the stored session is deleted; link the phone again in the admin area');
      await this.loggedOut(lastError);
      return;
    }
    if (code === DisconnectReason.forbidden) {
      this.running = false;
      this.log.error('whatsapp refused the number (403): not reconnecting');
      this.publish({ state: 'banned', lastError, qr: undefined, pairingCode: undefined, retryAt: undefined });
      return;
    }
    if (code === DisconnectReason.restartRequired) {
      this.publish({ state: 'connecting', lastError: undefined, qr: undefined, pairingCode: undefined });
      await this.connect();
      return;
    }
    if (wasQr) this.log.info({ code }, 'whatsapp QR codes expired unscanned; new ones after the backoff');
    else this.log.warn({ code, attempt: this.attempts + 1 }, 'whatsapp connection closed; reconnecting');
    this.scheduleConnect('closed', wasQr && code === DisconnectReason.timedOut ? 'Kode QR kedaluwarsa tanpa dipindai; kode baru segera tampil.' : lastError);
  }

  /** The session is gone: delete it, say so, and (unless told not to) offer a fresh QR code after a pause. */
  private async loggedOut(lastError: string): Promise<void> {
    await clearAuthState(this.options.store.keyValue).catch((err: unknown) => this.log.error({ err }, 'whatsapp session not cleared'));
    this.publish({ state: 'logged_out', lastError, qr: undefined, pairingCode: undefined, me: undefined, retryAt: undefined });
    if (this.options.relinkAfterLogout === false || !this.running) {
      this.running = false;
      return;
    }
    this.scheduleConnect('logged_out', lastError);
  }

  /** Next attempt after an exponential backoff with jitter. */
  private scheduleConnect(state: 'closed' | 'logged_out', lastError: string): void {
    this.attempts++;
    const { initialMs = 1000, maxMs = 60_000 } = this.options.backoff ?? {};
    const ceiling = Math.min(maxMs, initialMs * 2 ** (this.attempts - 1));
    // "Equal jitter": never less than half the step, so the delays keep growing.
    const delay = Math.round(ceiling / 2 + (ceiling / 2) * (this.options.random ?? Math.random)());
    this.publish({ state, lastError, qr: undefined, pairingCode: undefined, retryAt: new Date(Date.now() + delay).toISOString() });
    this.retryTimer = setTimeout(() => void this.connect().catch((err: unknown) => this.log.error({ err }, 'whatsapp reconnect failed')), delay);
    this.retryTimer.unref?.();
  }

  private endSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.isOpen = false;
    this.detach?.();
    this.detach = undefined;
    if (!socket) return;
    try {
      // Baileys' end() detaches the WebSocket's 'close' listeners before closing it, which leaves a
      // handshake still waiting for the server (and its connectTimeoutMs timer) behind. Failing the
      // WebSocket first ends that wait now; the close it causes is ignored (this socket is detached).
      (socket.ws as { emit?: (event: string, error: Error) => boolean } | undefined)?.emit?.('error', new Error('closed by SIRATU'));
    } catch {
      // nothing was waiting
    }
    try {
      socket.end(undefined);
    } catch {
      // already closed
    }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.retryTimer = undefined;
    this.stableTimer = undefined;
  }

  private publish(patch: Partial<WhatsAppStatus>): void {
    const now = new Date().toISOString();
    const next: WhatsAppStatus = { ...this.current, ...patch, instance: this.instance, updatedAt: now };
    if (patch.state && patch.state !== this.current.state) next.since = now;
    for (const key of Object.keys(next) as (keyof WhatsAppStatus)[]) if (next[key] === undefined) delete next[key];
    const same = (status: WhatsAppStatus) => JSON.stringify({ ...status, updatedAt: undefined });
    if (same(next) === same(this.current)) return;
    this.current = next;
    const snapshot = next;
    this.publishing = this.publishing
      .then(() => writeStatus(this.options.store.settings, snapshot))
      .catch((error: unknown) => this.log.warn({ err: error }, 'whatsapp status not saved'));
  }
}
