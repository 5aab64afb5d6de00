/**
 * Helpers for the web chat tests: the REAL app on a free port with a fresh
 * data directory, a small Server-Sent-Events reader on top of fetch, and a
 * PNG built from scratch for the attachment tests.
 */
import { deflateSync } from 'node:zlib';
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

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real PNG (8-bit RGB), built byte by byte: `pixel(x, y)` gives [r, g, b]. */
export function makePng(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
