/** Configuration is validated once at start-up, with messages an office's IT staff can act on. */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../scripts/config.js';

const noDotenv = { dotenvPath: '/nonexistent/.env' };

describe('configuration', () => {
  it('has working defaults for embedded mode', () => {
    expect(loadConfig({}, noDotenv)).toMatchObject({ PORT: 3000, DATA_DIR: './data', OFFICE_PROFILE: 'palu', LOG_LEVEL: 'info' });
    expect(loadConfig({}, noDotenv).MONGODB_URI).toBeUndefined();
  });

  it('names every bad variable and says what is expected', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'delapan', MONGODB_URI: 'localhost:27017', LOG_LEVEL: 'loud' }, noDotenv);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT="delapan": harus berupa angka/u);
    expect(message).toMatch(/MONGODB_URI="localhost:27017": harus diawali mongodb:\/\//u);
    expect(message).toMatch(/LOG_LEVEL="loud"/u);
    expect(message).toMatch(/\.env\.example/u);
  });

  it('reads an optional .env file, with the real environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siratu-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'PORT=4010\nOFFICE_PROFILE=palu\nLOG_LEVEL=warn\n');
    const config = loadConfig({ LOG_LEVEL: 'error' }, { dotenvPath: file });
    expect(config.PORT).toBe(4010);
    expect(config.LOG_LEVEL).toBe('error');
  });

  it('.env.example documents every variable the app reads', async () => {
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z_]+)=/gmu)].map((m) => m[1]));
    const known = Object.keys(loadConfig({}, noDotenv));
    for (const name of [...known, 'MONGODB_URI', 'REDIS_URL', 'PUBLIC_URL']) expect(documented).toContain(name);
  });
});
