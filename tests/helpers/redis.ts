import { Redis } from 'ioredis';

/** Empties one Redis database, so a multi-instance test starts from nothing (each test file uses its own db number). */
export async function emptyRedis(url: string): Promise<void> {
  const redis = new Redis(url);
  await redis.flushdb();
  await redis.quit();
}
