/**
 * The composition root: builds the store, the knowledge base, the engine's
 * dispatcher and the HTTP server, and mounts the channels and the admin
 * area. Everything else receives what it needs from here; nothing below
 * reads the environment.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Dispatcher } from '../bot/dispatcher.js';
import { KnowledgeBase, seedKnowledge } from '../bot/knowledge-base.js';
import { createLogger, type Logger } from '../bot/log.js';
import { openStore } from '../bot/store/index.js';
import type { Store } from '../bot/store/types.js';
import { webchatChannel, webchatDemoPage } from '../channels/webchat/router.js';
import { loadEntries, loadLanguage, loadOffice } from '../knowledge/load.js';
import type { Config } from './config.js';

export interface App {
  config: Config;
  log: Logger;
  store: Store;
  knowledge: KnowledgeBase;
  dispatcher: Dispatcher;
  http: express.Express;
  /** Starts listening; resolves with the bound port (use PORT=0 in tests for a free one). */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export async function createApp(config: Config, options: { log?: Logger } = {}): Promise<App> {
  const log = options.log ?? createLogger({ level: config.LOG_LEVEL });
  const store = await openStore({ mongoUri: config.MONGODB_URI, dataDir: config.DATA_DIR });
  const { seeded } = await seedKnowledge(store, loadEntries(), loadOffice(config.OFFICE_PROFILE));
  if (seeded > 0) log.info({ seeded }, 'knowledge base seeded from knowledge/entries');
  const knowledge = new KnowledgeBase(store, loadLanguage());
  await knowledge.current();
  const dispatcher = new Dispatcher(store, knowledge, log);

  const http = express();
  http.disable('x-powered-by');
  http.set('trust proxy', 'loopback');
  http.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', store: store.engine });
  });
  // Web chat channel: the widget's API and script under /webchat, the demo page at /.
  http.use('/webchat', webchatChannel({ dispatcher, store, allowedOrigins: config.WEBCHAT_ALLOWED_ORIGINS, log }));
  http.get('/', webchatDemoPage());

  let server: Server | undefined;
  return {
    config,
    log,
    store,
    knowledge,
    dispatcher,
    http,
    async listen() {
      server = http.listen(config.PORT, config.HOST);
      await once(server, 'listening');
      const port = (server.address() as AddressInfo).port;
      log.info({ port, store: store.engine }, 'siratu is listening');
      await dispatcher.recover();
      return port;
    },
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      await store.close();
    },
  };
}
