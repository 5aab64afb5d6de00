/**
 * Secrets of the WhatsApp channel, all derived from WHATSAPP_AUTH_KEY:
 *
 *   sealing   the linked device's credentials and Signal keys are stored
 *             encrypted (AES-256-GCM, a fresh 96-bit IV per value, the
 *             value's slot as additional data so a value copied to another
 *             key does not decrypt)
 *   ids       the ids of the messages we send carry a short MAC, so any
 *             instance can tell our own messages from the ones staff type on
 *             the linked phone, even after a restart (see messageIdFor)
 *
 * The configured key is never used directly: each purpose gets its own
 * subkey (HKDF-SHA256).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

/** The 32 bytes of WHATSAPP_AUTH_KEY (base64, base64url or hex), or an error message in Indonesian. */
export function parseAuthKey(value: string): { ok: true; key: Buffer } | { ok: false; error: string } {
  const text = value.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/u.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/u.test(text)) key = Buffer.from(text.replace(/-/gu, '+').replace(/_/gu, '/'), 'base64');
  if (!key || key.length !== 32) {
    return {
      ok: false,
      error: 'harus kunci acak 32 byte dalam base64 (44 karakter) atau hex (64 karakter); buat dengan: openssl rand -base64 32',
    };
  }
  return { ok: true, key };
}

export class AuthCipher {
  private readonly sealKey: Buffer;
  private readonly idKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('WhatsApp auth key must be 32 bytes');
    this.sealKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'siratu whatsapp auth state', 32));
    this.idKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'siratu whatsapp message ids', 32));
  }

  /** Encrypts `plaintext` for the slot `slot` (e.g. "wa:keys/session:123.0"). */
  seal(plaintext: string, slot: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    cipher.setAAD(Buffer.from(slot, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** Decrypts a sealed value; throws when it was tampered with, sealed for another slot or with another key. */
  open(sealed: string, slot: string): string {
    if (!sealed.startsWith(`${VERSION}:`)) throw new Error('unknown sealed value format');
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64');
    if (raw.length < 28) throw new Error('sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(slot, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  /**
   * The WhatsApp message id for one part we send: Baileys' own format
   * (`3EB0` + 18 upper-case hex digits), deterministic in the idempotency
   * key so a retry re-uses the id, and signed: 10 digits from the key's
   * hash, 8 digits of HMAC over those.
   */
  messageIdFor(idempotencyKey: string): string {
    const body = createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 10).toUpperCase();
    return `3EB0${body}${this.tag(body)}`;
  }

  /** Whether a message id is one `messageIdFor` made (a message this office's bot or inbox sent). */
  isOurMessageId(id: string | null | undefined): boolean {
    if (!id || !/^3EB0[0-9A-F]{18}$/u.test(id)) return false;
    const body = id.slice(4, 14);
    return timingSafeEqual(Buffer.from(id.slice(14)), Buffer.from(this.tag(body)));
  }

  private tag(body: string): string {
    return createHmac('sha256', this.idKey).update(body).digest('hex').slice(0, 8).toUpperCase();
  }
}
