/**
 * `npm start`: validates the configuration and runs the product.
 *
 * SIGTERM / SIGINT shut down gracefully (App.close): new requests get 503,
 * requests and deliveries in progress finish, then the process exits 0. A
 * shutdown that cannot finish within SHUTDOWN_LIMIT_MS exits 1 instead of
 * hanging (docker compose sends SIGKILL after its 30 s grace period anyway).
 */
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

const SHUTDOWN_LIMIT_MS = 28_000;

try {
  const app = await createApp(loadConfig());
  const port = await app.listen();
  console.log(`\nSIRATU berjalan: buka http://localhost:${port}/ untuk mencoba web chat.\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return app.log.info({ signal }, 'already shutting down');
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const limit = setTimeout(() => {
      app.log.error({ limitMs: SHUTDOWN_LIMIT_MS }, 'shutdown did not finish in time: exiting anyway');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    try {
      await app.close();
      app.log.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
