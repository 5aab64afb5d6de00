/**
 * Opens the configured store: MongoDB when a URI is given, otherwise the
 * embedded SQLite file under the data directory (zero-setup default).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export type * from './types.js';
export { TICKET_STATUSES } from './types.js';
export { formatTicketNumber, newId } from './ids.js';

export async function openStore(options: { mongoUri?: string; dataDir: string }): Promise<Store> {
  if (options.mongoUri) {
    // Loaded on demand: SQLite installs never pay for loading mongoose.
    const { openMongoStore } = await import('./mongo.js');
    return openMongoStore({ uri: options.mongoUri });
  }
  mkdirSync(options.dataDir, { recursive: true });
  return openSqliteStore({ file: join(options.dataDir, 'siratu.db') });
}
