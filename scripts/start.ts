/** `npm start`: validates the configuration and runs the product. */
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

try {
  const app = await createApp(loadConfig());
  const port = await app.listen();
  console.log(`\nSIRATU berjalan: buka http://localhost:${port}/ untuk mencoba web chat.\n`);
  const stop = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
