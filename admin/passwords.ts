/**
 * Password hashing for staff accounts: scrypt from node:crypto (memory-hard,
 * no native add-on), a random 16-byte salt per password, and a versioned
 * string that carries its own parameters:
 *
 *   scrypt$N$r$p$<salt base64>$<hash base64>
 *
 * so the parameters can be raised later: `needsRehash` tells the login code
 * to store a stronger hash the next time the password is typed.
 *
 * Cost: N = 2^16, r = 8, p = 1 → 64 MiB and ~200 ms on the project's 2-core
 * machines (twice the memory of the common 2^15 baseline). scrypt runs on
 * libuv's thread pool (4 threads by default), which also caps how much memory
 * concurrent logins can take (4 × 64 MiB).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const SCRYPT_PARAMS = { N: 2 ** 16, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Limits for parameters read back from a stored hash, so a tampered row cannot make one login eat the machine. */
const MAX_N = 2 ** 20;
const MAX_RP = 64;

export const MIN_PASSWORD_LENGTH = 10;
/** Long enough for any pass phrase; scrypt's cost does not depend on it, but form bodies stay small. */
export const MAX_PASSWORD_LENGTH = 200;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, length: number): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * (params.p + 1) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password with the current parameters and a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, SCRYPT_PARAMS, KEY_BYTES);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,8}$/u.test(part) ? Number(part) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0) || !(r >= 1 && r <= MAX_RP) || !(p >= 1 && p <= MAX_RP)) return null;
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

/** True when the password matches the stored hash. Compares in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when the stored hash uses weaker parameters than today's (rehash it at the next successful login). */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  return parsed.N < SCRYPT_PARAMS.N || parsed.r < SCRYPT_PARAMS.r || parsed.p < SCRYPT_PARAMS.p || parsed.hash.length < KEY_BYTES;
}

let dummy: Promise<string> | undefined;
/**
 * Spends the same time as checking a real password, for logins with an
 * unknown user name: the answer time must not tell which names exist.
 */
export async function dummyVerify(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(12).toString('base64'));
  await verifyPassword(password, await dummy);
  return false;
}

/** Very common choices that pass the length rule; refused outright. */
const COMMON = new Set([
  '1234567890',
  '12345678910',
  '0123456789',
  '9876543210',
  'qwertyuiop',
  'password123',
  'password1234',
  'passw0rd123',
  'katasandi123',
  'admin12345',
  'administrator',
  'bismillah123',
  'indonesia123',
  'dukcapil123',
  'disdukcapil',
  'siratu12345',
]);

/**
 * Why a new password is refused, in Indonesian, or null when it is
 * acceptable. Long pass phrases are encouraged; no composition rules
 * (NIST SP 800-63B): length, not a well-known choice, not the user name.
 */
export function passwordProblem(password: string, context: { username?: string; displayName?: string } = {}): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Kata sandi terlalu pendek: paling sedikit ${MIN_PASSWORD_LENGTH} karakter. Kalimat pendek yang mudah diingat (mis. "kopi pagi di kantor") lebih kuat daripada kata acak yang pendek.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Kata sandi terlalu panjang: paling banyak ${MAX_PASSWORD_LENGTH} karakter.`;
  const lower = password.toLowerCase();
  if (/^(.)\1*$/u.test(password)) return 'Kata sandi tidak boleh berisi satu karakter yang diulang-ulang.';
  if (COMMON.has(lower)) return 'Kata sandi ini terlalu umum dan mudah ditebak. Pilih yang lain.';
  if (/^(0123456789|1234567890|9876543210)+\d*$/u.test(password)) return 'Kata sandi berupa urutan angka mudah ditebak. Pilih yang lain.';
  const username = context.username?.toLowerCase();
  if (username && (lower === username || lower.includes(username) && username.length >= lower.length - 4))
    return 'Kata sandi tidak boleh sama dengan (atau hampir sama dengan) nama pengguna.';
  const name = context.displayName?.toLowerCase().replace(/\s+/gu, '');
  if (name && name.length >= 4 && lower.replace(/\s+/gu, '') === name) return 'Kata sandi tidak boleh sama dengan nama Anda.';
  return null;
}
