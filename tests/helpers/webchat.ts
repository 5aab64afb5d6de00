/**
 * Helpers for the web chat tests: the REAL app on a free port with a fresh
 * data directory, and a small Server-Sent-Events reader on top of fetch.
 */
import { createApp, type App } from '../../scripts/app.js';
import { loadConfig } from '../../scripts/config.js';
import { makeTempDir } from './tmp.js';

export interface RunningApp {
  app: App;
  base: string;
  close(): Promise<void>;
}

export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const tmp = makeTempDir('siratu-webchat-');
  // PORT 0 (a free port) is set after validation: scripts/config.ts currently only accepts 1..65535.
  const config = loadConfig({ HOST: '127.0.0.1', DATA_DIR: tmp.dir, LOG_LEVEL: 'silent', ...env }, { dotenvPath: '/nonexistent' });
  const app = await createApp({ ...config, PORT: 0 });
  const port = await app.listen();
  return {
    app,
    base: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      tmp.remove();
    },
  };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE response until `until` says stop (or the timeout passes), then aborts the request. */
export async function readEvents(
  url: string,
  options: { headers?: Record<string, string>; until: (events: SseEvent[]) => boolean; timeoutMs?: number; onOpen?: () => Promise<void> | void },
): Promise<{ events: SseEvent[]; comments: string[]; status: number; headers: Headers }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 5000);
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const response = await fetch(url, { headers: options.headers, signal: controller.signal });
  if (!response.ok || !response.body) {
    clearTimeout(timer);
    controller.abort();
    return { events, comments, status: response.status, headers: response.headers };
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let opened = false;
  try {
    while (!options.until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id:')) event.id = line.slice(3).trim();
          else if (line.startsWith('event:')) event.event = line.slice(6).trim();
          else if (line.startsWith('data:')) {
            event.data += (hasData ? '\n' : '') + line.slice(5).trimStart();
            hasData = true;
          }
        }
        if (hasData) events.push(event);
      }
      if (!opened) {
        opened = true;
        await options.onOpen?.();
      }
    }
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { events, comments, status: response.status, headers: response.headers };
}
