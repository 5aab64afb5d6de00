/**
 * The server's secret key (SECRET_KEY) and what is encrypted with it.
 *
 * The key is 32 random bytes, given as 64 hex characters (or base64).
 * Scale-out mode requires it in the configuration: every instance must use
 * the same one. In embedded mode it may be left unset: on the first start
 * a key is generated into DATA_DIR/secret.key (permissions 0600) and reused
 * from then on; the log says so. Back that file up with the database:
 * without it, encrypted values (two-factor secrets, WhatsApp's session)
 * cannot be read.
 *
 * Each use gets its own sub-key (HKDF with a purpose label), so a value
 * encrypted for one purpose can never be decrypted as another.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../bot/log.js';

export const SECRET_KEY_FILE = 'secret.key';

/** Parses a configured key: 64 hex characters or base64 of 32 bytes. Returns null when it is neither. */
export function parseSecretKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/u.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/u.test(value)) {
    const key = Buffer.from(value.replace(/-/gu, '+').replace(/_/gu, '/'), 'base64');
    if (key.length === 32) return key;
  }
  return null;
}

/**
 * The key to use: the configured one, or (embedded mode only) the one in
 * DATA_DIR/secret.key, generated on first start.
 */
export function resolveSecretKey(options: { configured?: string; dataDir: string; scaleOut: boolean; log: Logger }): Buffer {
  if (options.configured) {
    const key = parseSecretKey(options.configured);
    if (!key) throw new Error('SECRET_KEY harus 32 byte acak: 64 karakter hex (buat dengan `openssl rand -hex 32`).');
    return key;
  }
  if (options.scaleOut) throw new Error('SECRET_KEY wajib diisi dalam mode scale-out (MONGODB_URI): semua instance harus memakai kunci yang sama.');
  const file = join(options.dataDir, SECRET_KEY_FILE);
  // Written aside, then linked into place (fails if it exists): instances starting at once on one host cannot
  // both create it, and none can read it half-written (a plain `wx` write left a moment where it was empty).
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  if (!existsSync(file)) {
    try {
      writeFileSync(draft, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      linkSync(draft, file);
      options.log.warn({ file }, 'SECRET_KEY is not set: generated a new secret key into the data directory (permissions 0600). Back it up with the database, or set SECRET_KEY.');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(draft, { force: true });
    }
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(file, 0o600);
    options.log.warn({ file, mode: mode.toString(8) }, 'the secret key file was readable by other users: permissions set to 0600');
  }
  const key = parseSecretKey(readFileSync(file, 'utf8'));
  if (!key) throw new Error(`${file} tidak berisi kunci yang valid (64 karakter hex). Pulihkan dari cadangan, atau hapus berkas itu bila belum ada data terenkripsi.`);
  return key;
}

/** AES-256-GCM with a sub-key for one purpose. Output: `v1.<iv>.<ciphertext>.<tag>` (base64url). */
export class SecretBox {
  private readonly key: Buffer;

  constructor(master: Buffer, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `siratu:${purpose}`, 32));
  }

  /** `context` (e.g. the user id) is authenticated but not stored: the value only decrypts with the same context. */
  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, data, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** The plaintext, or null when the value was not sealed by this box with this context (wrong key, tampered, malformed). */
  open(sealed: string, context = ''): string | null {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') return null;
    try {
      const [iv, data, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
      if (iv.length !== 12 || tag.length !== 16) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
