/**
 * `npm run create-admin`: creates a staff account from the command line,
 * the only way to get the first admin (there are no default credentials).
 * Also repairs accounts when nobody can sign in any more.
 *
 *   npm run create-admin -- --username budi --name "Budi Santoso" [--role admin|supervisor|agent]
 *   npm run create-admin -- --username budi --reset-password    new password, unlocked, enabled, signed out everywhere
 *   npm run create-admin -- --username budi --reset-2fa         two-factor removed (lost phone)
 *
 * The password is asked twice without showing it. When standard input is
 * not a terminal it is read from there instead (first line; a second line,
 * if present, must repeat it): `printf '%s\n' "$PW" | npm run -s create-admin -- ...`.
 */
import { parseArgs } from 'node:util';
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem } from '../admin/passwords.js';
import { isRole, ROLE_LABELS, USERNAME, USERNAME_RULE } from '../admin/roles.js';
import { openStore } from '../bot/store/index.js';
import { DuplicateError, type Store } from '../bot/store/types.js';
import { ConfigError, loadConfig } from './config.js';

const USAGE = `Pemakaian:
  npm run create-admin -- --username budi --name "Budi Santoso" [--role admin|supervisor|agent]
  npm run create-admin -- --username budi --reset-password
  npm run create-admin -- --username budi --reset-2fa`;

class CliError extends Error {}

/** Reads one line from the terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new CliError('Dibatalkan.'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
  });
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.length > 10_000) break;
  }
  return text;
}

/** The new password: asked twice on a terminal, or read from standard input. Refuses weak ones. */
async function newPassword(context: { username: string; displayName?: string }): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    process.stderr.write(`Kata sandi baru untuk "${context.username}" (paling sedikit 10 karakter; tidak tampil saat diketik).\n`);
    password = await askHidden('Kata sandi: ');
    const again = await askHidden('Ulangi kata sandi: ');
    if (password !== again) throw new CliError('Kedua kata sandi tidak sama. Tidak ada yang diubah.');
  } else {
    const lines = (await readStdin()).split(/\r?\n/u);
    password = lines[0] ?? '';
    if (lines[1] && lines[1] !== password) throw new CliError('Baris kedua (ulangan kata sandi) tidak sama dengan baris pertama. Tidak ada yang diubah.');
  }
  const problem = passwordProblem(password, context);
  if (problem) throw new CliError(`${problem} Tidak ada yang diubah.`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new CliError('Kata sandi terlalu panjang.');
  return password;
}

async function run(store: Store, args: { username: string; name?: string; role: string; resetPassword: boolean; reset2fa: boolean }, loginUrl: string): Promise<string> {
  const username = args.username.trim().toLowerCase();
  if (!USERNAME.test(username)) throw new CliError(`--username tidak valid: ${USERNAME_RULE}.`);

  if (args.resetPassword || args.reset2fa) {
    const user = await store.users.byUsername(username);
    if (!user) throw new CliError(`Pengguna "${username}" tidak ada. Tanpa --reset-password/--reset-2fa, perintah ini membuat pengguna baru.`);
    const patch: Parameters<Store['users']['update']>[1] = {};
    if (args.resetPassword) Object.assign(patch, { passwordHash: await hashPassword(await newPassword(user)), failedLogins: 0, lockedUntil: null, disabled: false });
    if (args.reset2fa) patch.totpSecret = null;
    await store.users.update(user.id, patch);
    await store.sessions.deleteForUser(user.id);
    const what = [args.resetPassword && 'kata sandi baru dipasang (akun dibuka dan diaktifkan)', args.reset2fa && 'verifikasi dua langkah dihapus'].filter(Boolean).join('; ');
    return `Pengguna "${username}": ${what}. Semua sesinya diakhiri. Masuk di ${loginUrl}`;
  }

  const displayName = args.name?.trim().replace(/\s+/gu, ' ');
  if (!displayName || displayName.length < 2 || displayName.length > 80) throw new CliError('--name wajib diisi: nama lengkap, 2–80 karakter (pakai tanda kutip bila ada spasi).');
  if (!isRole(args.role)) throw new CliError('--role harus admin, supervisor atau agent.');
  if (await store.users.byUsername(username)) throw new CliError(`Pengguna "${username}" sudah ada. Untuk memasang kata sandi baru: npm run create-admin -- --username ${username} --reset-password`);
  const password = await newPassword({ username, displayName });
  try {
    await store.users.create({ username, displayName, role: args.role, passwordHash: await hashPassword(password) });
  } catch (error) {
    if (error instanceof DuplicateError) throw new CliError(`Pengguna "${username}" sudah ada.`);
    throw error;
  }
  return `${ROLE_LABELS[args.role]} "${username}" (${displayName}) sudah dibuat. Masuk di ${loginUrl}`;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        username: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string', default: 'admin' },
        'reset-password': { type: 'boolean', default: false },
        'reset-2fa': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help || !parsed.username) {
    (parsed.help ? console.log : console.error)(USAGE);
    return parsed.help ? 0 : 2;
  }
  let store: Store | undefined;
  try {
    const config = loadConfig();
    store = await openStore({ mongoUri: config.MONGODB_URI, dataDir: config.DATA_DIR });
    const loginUrl = `${config.PUBLIC_URL?.replace(/\/+$/u, '') ?? `http://localhost:${config.PORT || 3000}`}/admin/login`;
    const message = await run(store, { username: parsed.username, name: parsed.name, role: parsed.role, resetPassword: parsed['reset-password'], reset2fa: parsed['reset-2fa'] }, loginUrl);
    console.log(message);
    return 0;
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await store?.close();
  }
}

process.exitCode = await main();
