/**
 * Configuration: environment variables (and an optional `.env` file),
 * validated once at start-up. A bad value stops the app with a message that
 * names the variable and says what is expected. Every variable is
 * documented in .env.example and the README.
 */
import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { parseAuthKey } from '../channels/whatsapp/crypto.js';
import { parseSecretKey } from '../admin/secret-key.js';

const optionalText = z
  .string()
  .trim()
  .transform((value) => value || undefined)
  .optional();

/** A switch: true/false, 1/0 or ya/tidak; empty or unset is false. */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ['', 'true', 'false', '1', '0', 'ya', 'tidak'].includes(value), 'isi true atau false')
  .transform((value) => ['true', '1', 'ya'].includes(value))
  .default(false);

const schema = z.object({
  PORT: z.coerce.number({ error: 'harus berupa angka' }).int().min(0, 'harus 0–65535 (0 = port bebas mana saja)').max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  OFFICE_PROFILE: z.string().regex(/^[a-z0-9-]+$/u, 'nama profil: huruf kecil, angka, tanda hubung').default('palu'),
  MONGODB_URI: optionalText.refine((value) => value === undefined || /^mongodb(\+srv)?:\/\//u.test(value), 'harus diawali mongodb:// atau mongodb+srv://'),
  REDIS_URL: optionalText.refine((value) => value === undefined || /^rediss?:\/\//u.test(value), 'harus diawali redis:// atau rediss://'),
  PUBLIC_URL: optionalText.refine((value) => value === undefined || /^https?:\/\//u.test(value), 'harus URL lengkap, mis. https://chat.kota.go.id'),
  WEBCHAT_ALLOWED_ORIGINS: z.string().default('*'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HANDOFF_TIMEOUT_MINUTES: z.coerce.number({ error: 'harus berupa angka (menit)' }).int().min(1).max(24 * 60).default(10),
  // Messages one citizen (per chat) may send in a minute before the bot asks them to wait; 0 = no limit.
  RATE_LIMIT_PER_MINUTE: z.coerce.number({ error: 'harus berupa angka (pesan per menit)' }).int('harus bilangan bulat').min(0, 'minimal 0 (0 = tanpa batas)').max(1000, 'maksimal 1000').default(20),
  // Empty means the default, not 0: switching retention off must be written out (RETENTION_DAYS=0).
  RETENTION_DAYS: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.coerce
      .number({ error: 'harus berupa angka (hari)' })
      .int('harus bilangan bulat (hari)')
      .min(0, 'minimal 0 (0 = retensi otomatis mati)')
      .max(3650, 'maksimal 3650 hari (10 tahun)')
      .refine((days) => days === 0 || days >= 30, 'minimal 30 hari (atau 0 = mati): pengaduan perlu waktu untuk ditindaklanjuti')
      .default(365),
  ),
  TELEGRAM_BOT_TOKEN: optionalText.refine((value) => value === undefined || /^\d+:[A-Za-z0-9_-]{20,}$/u.test(value), 'token dari @BotFather, bentuknya 123456789:AAE...'),
  TELEGRAM_API_ROOT: optionalText
    .refine((value) => value === undefined || /^https?:\/\/[^/\s]+/u.test(value), 'harus URL lengkap, mis. http://127.0.0.1:8081')
    .transform((value) => value?.replace(/\/+$/u, '')),
  TELEGRAM_WEBHOOK_URL: optionalText.refine((value) => value === undefined || /^https?:\/\/[^/\s]+/u.test(value), 'harus URL lengkap, mis. https://chat.kota.go.id/telegram/webhook'),
  TELEGRAM_WEBHOOK_SECRET: optionalText.refine((value) => value === undefined || /^[A-Za-z0-9_-]{16,256}$/u.test(value), 'minimal 16 karakter, hanya huruf, angka, _ dan -'),
  WHATSAPP_ENABLED: flag,
  WHATSAPP_AUTH_KEY: optionalText.refine((value) => value === undefined || parseAuthKey(value).ok, 'harus kunci acak 32 byte: base64 (44 karakter) atau hex (64 karakter); buat dengan: openssl rand -base64 32'),
  WHATSAPP_OLD_MESSAGE_HOURS: z.coerce.number({ error: 'harus berupa angka (jam)' }).min(0.1, 'minimal 0.1 jam').max(336, 'maksimal 336 jam (14 hari)').default(6),
  // Testing only: a WhatsApp-compatible socket address instead of WhatsApp's own (tests/scale-out.test.ts points it at a local server).
  WHATSAPP_SOCKET_URL: optionalText.refine((value) => value === undefined || /^wss?:\/\/[^/\s]+/u.test(value), 'harus alamat WebSocket lengkap, mis. ws://127.0.0.1:8443/ws/chat'),
  SECRET_KEY: optionalText.refine((value) => value === undefined || parseSecretKey(value) !== null, 'harus kunci acak 32 byte: 64 karakter hex; buat dengan: openssl rand -hex 32'),
  METRICS_TOKEN: optionalText.refine((value) => value === undefined || /^[A-Za-z0-9_-]{16,256}$/u.test(value), 'minimal 16 karakter acak (huruf, angka, _ dan -); buat dengan: openssl rand -hex 24'),
  COOKIE_SECURE: z.enum(['auto', 'true', 'false'], { error: 'isi auto, true atau false' }).default('auto'),
  ADMIN_REQUIRE_TOTP: flag,
  TRUST_PROXY: z
    .string()
    .trim()
    .refine(
      (value) => /^(true|false|\d{1,2})$/u.test(value) || value.split(',').every((item) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/u.test(item.trim())),
      'isi loopback, true, false, jumlah proxy (mis. 1), atau daftar IP/subnet dipisah koma',
    )
    .transform((value): boolean | number | string => (value === 'true' ? true : value === 'false' ? false : /^\d+$/u.test(value) ? Number(value) : value))
    .default('loopback'),
}).superRefine((config, ctx) => {
  if (config.MONGODB_URI && !config.SECRET_KEY) {
    ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'wajib diisi jika MONGODB_URI dipakai (semua instance harus memakai kunci yang sama); buat dengan: openssl rand -hex 32' });
  }
  if (config.WHATSAPP_ENABLED === true && !config.WHATSAPP_AUTH_KEY) {
    ctx.addIssue({ code: 'custom', path: ['WHATSAPP_AUTH_KEY'], message: 'wajib diisi jika WHATSAPP_ENABLED=true; buat dengan: openssl rand -base64 32 (simpan baik-baik: tanpa kunci ini sesi WhatsApp harus ditautkan ulang)' });
  }
  if (!config.TELEGRAM_WEBHOOK_URL) return;
  if (!config.TELEGRAM_BOT_TOKEN) ctx.addIssue({ code: 'custom', path: ['TELEGRAM_BOT_TOKEN'], message: 'wajib diisi jika TELEGRAM_WEBHOOK_URL diisi' });
  if (!config.TELEGRAM_WEBHOOK_SECRET) ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'wajib diisi jika TELEGRAM_WEBHOOK_URL diisi (minimal 16 karakter acak)' });
  // Telegram itself only calls HTTPS webhooks; a self-hosted Bot API server may call plain HTTP on its own network.
  if (!config.TELEGRAM_API_ROOT && !config.TELEGRAM_WEBHOOK_URL.startsWith('https://'))
    ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_URL'], message: 'Telegram hanya memanggil alamat https://' });
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Values never repeated in error messages (they end up in logs). */
const SECRET_VARIABLES = new Set(['WHATSAPP_AUTH_KEY', 'SECRET_KEY', 'METRICS_TOKEN', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET']);

/** Reads and validates the configuration; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { dotenvPath?: string } = {}): Config {
  const path = options.dotenvPath ?? '.env';
  const merged = { ...env };
  if (existsSync(path)) {
    const parsed = loadDotenv({ path, processEnv: {}, quiet: true }).parsed ?? {};
    for (const [key, value] of Object.entries(parsed)) merged[key] ??= value;
  }
  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const shown = SECRET_VARIABLES.has(name) && merged[name] ? '(disembunyikan)' : JSON.stringify(merged[name] ?? '');
    return `  ${name}=${shown}: ${issue.message}`;
  });
  throw new ConfigError(`Konfigurasi tidak valid:\n${lines.join('\n')}\nLihat .env.example untuk penjelasan setiap variabel.`);
}
