/**
 * Opens the configured queue engine: bull when a Redis URL is given (several
 * instances share the queues), otherwise the embedded queue on the store.
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { createEmbeddedQueue } from './embedded.js';
import type { JobQueue } from './types.js';

export * from './types.js';

export async function openQueue(options: { redisUrl?: string; store: Store; log?: Logger }): Promise<JobQueue> {
  if (options.redisUrl) {
    // Loaded on demand: embedded installs never load bull and its Redis client.
    const { createBullQueue } = await import('./bull.js');
    return createBullQueue(options.redisUrl, { log: options.log });
  }
  return createEmbeddedQueue(options.store.jobs, { log: options.log });
}
