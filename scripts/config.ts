/**
 * Configuration: environment variables (and an optional `.env` file),
 * validated once at start-up. A bad value stops the app with a message that
 * names the variable and says what is expected. Every variable is
 * documented in .env.example and the README.
 */
import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .transform((value) => value || undefined)
  .optional();

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
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

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
    return `  ${name}=${JSON.stringify(merged[name] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`Konfigurasi tidak valid:\n${lines.join('\n')}\nLihat .env.example untuk penjelasan setiap variabel.`);
}
