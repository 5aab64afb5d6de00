/**
 * Graceful shutdown of the HTTP side (SIGTERM: a deploy, a scale-down,
 * `docker compose stop`). An instance being stopped must neither cut a
 * citizen's message off halfway nor leave new requests hanging:
 *
 *   1. from the moment draining starts, every NEW request is answered at once
 *      with 503 + Retry-After + Connection: close (the web chat widget and
 *      Telegram send it again, the load balancer tries another instance);
 *   2. open live streams (Server-Sent Events of the web chat and the inbox)
 *      are ended: browsers reconnect to another instance and resume from
 *      their Last-Event-ID;
 *   3. requests already being handled (a citizen's turn, a webhook update, an
 *      agent's reply) run to the end and get their answer;
 *   4. only then does the server stop listening and close idle connections.
 */
import type { Server } from 'node:http';
import type { RequestHandler, Response } from 'express';

export interface HttpDrain {
  /** Mount before the routes that do work: counts requests in progress; while draining, answers new ones 503. */
  middleware: RequestHandler;
  readonly draining: boolean;
  /**
   * Starts draining and resolves when the requests in progress have finished (or after `timeoutMs`,
   * with how many were still running), then closes the server.
   */
  drain(server: Server | undefined, timeoutMs: number): Promise<{ unfinished: number }>;
}

const UNAVAILABLE = {
  error: 'unavailable',
  message: 'Server sedang dimulai ulang. Silakan kirim lagi sebentar lagi.',
  messageEn: 'This instance is shutting down: send the request again (another instance will answer).',
};

const isStream = (res: Response) => String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');

export function httpDrain(): HttpDrain {
  const inProgress = new Set<Response>();
  let draining = false;
  let onIdle: (() => void) | undefined;

  const middleware: RequestHandler = (_req, res, next) => {
    if (draining) {
      res.set({ 'Retry-After': '1', Connection: 'close', 'Cache-Control': 'no-store' });
      res.status(503).json(UNAVAILABLE);
      return;
    }
    inProgress.add(res);
    res.once('close', () => {
      inProgress.delete(res);
      if (draining && inProgress.size === 0) onIdle?.();
    });
    next();
  };

  return {
    middleware,
    get draining() {
      return draining;
    },
    async drain(server, timeoutMs) {
      draining = true;
      // A live stream never finishes by itself: end it so the browser reconnects elsewhere.
      for (const res of inProgress) if (isStream(res)) res.end();
      let timer: NodeJS.Timeout | undefined;
      if (inProgress.size > 0) {
        await new Promise<void>((resolve) => {
          onIdle = resolve;
          timer = setTimeout(resolve, timeoutMs);
        });
      }
      clearTimeout(timer);
      const unfinished = inProgress.size;
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections(); // idle keep-alive connections, and whatever outlived the timeout
        await closed;
      }
      return { unfinished };
    },
  };
}
