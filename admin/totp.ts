/**
 * Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238; any
 * authenticator app: Google Authenticator, Microsoft Authenticator, Aegis…).
 *
 * Secrets are stored encrypted (AES-256-GCM, bound to the user id). A code
 * is accepted within ±30 s of clock drift, and only once: the time step of
 * the last accepted code is remembered, so a code seen over someone's
 * shoulder cannot be replayed within its window.
 */
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Store } from '../bot/store/types.js';
import type { SecretBox } from './secret-key.js';

const PENDING_NS = 'admin.totp-pending';
const USED_NS = 'admin.totp-used';
/** An enrolment not confirmed within this time starts over. */
const PENDING_MS = 15 * 60_000;

export const TOTP_ISSUER = 'SIRATU';

/** "123 456", "123-456" → "123456"; null when it is not six digits. */
export function normalizeCode(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const digits = input.replace(/[\s-]/gu, '');
  return /^\d{6}$/u.test(digits) ? digits : null;
}

/** An SVG image (as a data: URL, so pages need no inline markup and the CSP stays strict) of a QR code for `text`. */
export async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP", easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/gu, '$1 ');
}

export class Totp {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}

  /** Starts (or continues) an enrolment: the secret to show, with its otpauth:// URI and QR image. */
  async startEnrolment(user: { id: string; username: string }, now = Date.now()): Promise<{ secret: string; uri: string; qr: string }> {
    let secret = await this.pendingSecret(user.id, now);
    if (!secret) {
      secret = generateSecret({ length: 20 });
      const value = JSON.stringify({ secret: this.box.seal(secret, `pending:${user.id}`), expiresAt: now + PENDING_MS });
      await this.store.keyValue.set(PENDING_NS, { [user.id]: value });
    }
    const uri = generateURI({ issuer: TOTP_ISSUER, label: user.username, secret });
    return { secret, uri, qr: await qrDataUrl(uri) };
  }

  async pendingSecret(userId: string, now = Date.now()): Promise<string | null> {
    const raw = (await this.store.keyValue.get(PENDING_NS, [userId]))[userId];
    if (!raw) return null;
    try {
      const pending = JSON.parse(raw) as { secret: string; expiresAt: number };
      if (pending.expiresAt < now) return null;
      return this.box.open(pending.secret, `pending:${userId}`);
    } catch {
      return null;
    }
  }

  /** Checks the first code against the pending secret; on success returns the value to store as `user.totpSecret`. */
  async confirmEnrolment(userId: string, code: string, now = Date.now()): Promise<string | null> {
    const secret = await this.pendingSecret(userId, now);
    if (!secret || !(await this.check(userId, secret, code, now))) return null;
    await this.store.keyValue.set(PENDING_NS, { [userId]: null });
    return this.box.seal(secret, userId);
  }

  async cancelEnrolment(userId: string): Promise<void> {
    await this.store.keyValue.set(PENDING_NS, { [userId]: null });
  }

  /** Verifies a sign-in code against the user's stored (encrypted) secret. */
  async verifyLogin(user: { id: string; totpSecret: string | null }, code: string, now = Date.now()): Promise<boolean> {
    if (!user.totpSecret) return false;
    const secret = this.box.open(user.totpSecret, user.id);
    if (!secret) return false;
    return this.check(user.id, secret, code, now);
  }

  private async check(userId: string, secret: string, input: string, now: number): Promise<boolean> {
    const token = normalizeCode(input);
    if (!token) return false;
    const epoch = Math.floor(now / 1000);
    const stored = Number((await this.store.keyValue.get(USED_NS, [userId]))[userId]);
    const last = Number.isSafeInteger(stored) && stored >= 0 ? stored : undefined;
    // Every step a code could match (now ± 30 s) was used already (or the clock went back): nothing left to accept.
    if (last !== undefined && last >= Math.floor((epoch + 30) / 30)) return false;
    let result;
    try {
      result = await verify({ secret, token, epoch, epochTolerance: 30, afterTimeStep: last });
    } catch {
      return false;
    }
    if (!result.valid || !('timeStep' in result)) return false;
    await this.store.keyValue.set(USED_NS, { [userId]: String(result.timeStep) });
    return true;
  }
}
