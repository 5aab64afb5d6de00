/**
 * Helpers for the multi-process tests (tests/scale-out.test.ts,
 * tests/crash.test.ts): the REAL product started as separate processes
 * (`node --import tsx scripts/start.ts`, as `npm start` does) sharing one
 * data directory (the embedded SQLite store, "one host" mode) and one Redis,
 * and the outside world replaced at the network boundary:
 *
 *   Instance        one `npm start` process: its port (from the "siratu is
 *                   listening" log line), its JSON log lines, kill / restart
 *   PrivateRedis    a redis-server of the test's own on a free port (its
 *                   pub/sub channels are not shared with other test files);
 *                   optionally with an append-only file, so it can be killed
 *                   and restarted without losing what it acknowledged
 *   FakeBotApi      an HTTP server speaking the few Bot API methods the
 *                   Telegram channel calls; every sendMessage is recorded
 *   FakeWhatsAppServer  a WebSocket endpoint standing in for web.whatsapp.com
 *                   (Baileys' real makeWASocket connects to it; it counts
 *                   sockets, it cannot speak the protocol)
 *   WebChatCitizen, TelegramCitizen  citizens writing through the real web
 *                   chat API and the real Telegram webhook, retrying on
 *                   another instance when one fails (what a browser's retry
 *                   and Telegram's redelivery do behind a load balancer)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const ROOT = process.cwd();
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds; throws with `what` after `timeoutMs`. Returns how long it took. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 50): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - started;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Bytes on their way over loopback TCP to or from `port` that nobody has read yet: the receive queues of the
 * server's sockets and the send queues of its clients' (from /proc/net/tcp and tcp6). 0 means every request a
 * client wrote has been read by the server process.
 */
export function bytesInTransit(port: number): number {
  let total = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/u);
      if (fields.length < 5) continue;
      const localPort = parseInt(fields[1]!.split(':')[1]!, 16);
      const remotePort = parseInt(fields[2]!.split(':')[1]!, 16);
      const [tx, rx] = fields[4]!.split(':').map((hex) => parseInt(hex, 16)) as [number, number];
      if (localPort === port) total += rx;
      if (remotePort === port) total += tx;
    }
  }
  return total;
}

// ---------------------------------------------------------------- app instances

export interface LogLine {
  level?: number;
  msg?: string;
  /** Which start of the instance wrote it (1 = first). */
  run: number;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Only what a process needs from the test's environment: nothing of jest's, no stray configuration. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]!]));
}

/** One `npm start` process. Its stdout and stderr go to tests/artifacts/<file>.log for a person to read. */
export class Instance {
  readonly logs: LogLine[] = [];
  port = 0;
  run = 0;
  private child: ChildProcess | undefined;
  private exit: Promise<Exit> | undefined;
  private readonly logFile: string;

  constructor(
    readonly name: string,
    readonly env: Record<string, string>,
    logPrefix: string,
  ) {
    mkdirSync(ARTIFACTS, { recursive: true });
    this.logFile = join(ARTIFACTS, `${logPrefix}-${name}.log`);
    writeFileSync(this.logFile, '');
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it listens (its port comes from the "siratu is listening" log line). */
  async start(timeoutMs = 60_000): Promise<this> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.run += 1;
    const run = this.run;
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: ROOT,
      env: { ...baseEnv(), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    appendFileSync(this.logFile, `--- run ${run}: pid ${child.pid} ---\n`);
    const listening = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start within ${timeoutMs} ms (see ${this.logFile})`)), timeoutMs);
      void this.exit!.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited while starting (${JSON.stringify(exit)}; see ${this.logFile})`));
      });
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          appendFileSync(this.logFile, `${line}\n`);
          if (!line.startsWith('{')) return;
          try {
            const parsed = { ...(JSON.parse(line) as Record<string, unknown>), run } as LogLine;
            this.logs.push(parsed);
            if (parsed.msg === 'siratu is listening' && typeof parsed.port === 'number') {
              clearTimeout(timer);
              resolve(parsed.port);
            }
          } catch {
            // not a log line
          }
        });
      }
    });
    this.port = await listening;
    this.startedInMs = Date.now() - started;
    return this;
  }

  /** How long the last start took until the server listened. */
  startedInMs = 0;

  /** Log lines (of every run) that match. */
  lines(match: (line: LogLine) => boolean): LogLine[] {
    return this.logs.filter(match);
  }

  async waitForLog(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    await until(() => this.logs.some(match), timeoutMs, `${this.name}: ${what}`);
    return this.logs.find(match)!;
  }

  /** Sends a signal; resolves with how the process ended. */
  async kill(signal: NodeJS.Signals): Promise<Exit> {
    if (!this.child || !this.exit) throw new Error(`${this.name} was never started`);
    if (this.running) this.child.kill(signal);
    return this.exit;
  }

  /** Sends a signal without waiting (SIGSTOP / SIGCONT freeze and thaw the process). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child!.kill(signal);
  }

  /** The running process's exit, whenever it comes. */
  exited(): Promise<Exit> {
    if (!this.exit) throw new Error(`${this.name} was never started`);
    return this.exit;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 20_000): Promise<Exit | undefined> {
    if (!this.running) return this.exit;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const exit = await this.exit!;
    clearTimeout(timer);
    return exit;
  }
}

/** Starts instances side by side (as `docker compose up` does) on the same environment plus each one's own. */
export async function startInstances(prefix: string, count: number, env: (index: number) => Record<string, string>): Promise<Instance[]> {
  const instances = Array.from({ length: count }, (_, i) => new Instance(`i${i + 1}`, env(i), prefix));
  await Promise.all(instances.map((instance) => instance.start()));
  return instances;
}

// ---------------------------------------------------------------- Redis

/** A redis-server of the test's own. With `durable`, every write is in its append-only file before it answers. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private exit: Promise<Exit> | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly durable: boolean,
  ) {}

  static async start(dir: string, options: { durable?: boolean } = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), dir, options.durable ?? false);
    await redis.startServer();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startServer(): Promise<void> {
    const persistence = this.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...persistence], { stdio: 'ignore' });
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await until(
      async () => {
        const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          client.disconnect();
        }
      },
      10_000,
      `redis-server on port ${this.port}`,
    );
  }

  /** Kills the server (SIGKILL by default: a crash, not a shutdown). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    this.child?.kill(signal);
    return this.exit!;
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) await this.kill('SIGTERM');
  }
}

// ---------------------------------------------------------------- Telegram's side

export const BOT_TOKEN = '7000000009:AAscaleOutTokenForSiratuInstanceTests';
export const WEBHOOK_SECRET = 'scale-out-webhook-secret-0123456789';

export interface BotApiCall {
  /** Which instance called (each instance is given its own path prefix in TELEGRAM_API_ROOT). */
  instance: string;
  method: string;
  payload: Record<string, unknown>;
  /** For sendMessage: the message_id this "Telegram" gave it. */
  messageId?: number;
  at: number;
}

/**
 * Telegram's Bot API as far as the channel uses it: getMe, setMyCommands,
 * setWebhook and sendMessage (recorded, each given a new message_id). Every
 * instance calls it under its own path prefix (`/<instance>/bot<token>/…`),
 * so the test knows who sent what and whether a call is in flight.
 */
export class FakeBotApi {
  readonly calls: BotApiCall[] = [];
  private readonly inFlight_ = new Map<string, number>();
  private readonly lastAnswer = new Map<string, number>();
  private nextMessageId = 1;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeBotApi> {
    let api: FakeBotApi | undefined;
    const server = createServer((req, res) => void api!.handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = new FakeBotApi(server);
    return api;
  }

  apiRoot(instance: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${instance}`;
  }

  /** sendMessage calls, optionally to one chat. */
  sent(chatId?: number): BotApiCall[] {
    return this.calls.filter((call) => call.method === 'sendMessage' && (chatId === undefined || Number(call.payload.chat_id) === chatId));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Calls of `instance` received and not yet answered. */
  inFlight(instance: string): number {
    return this.inFlight_.get(instance) ?? 0;
  }

  /** True when `instance` has no call in flight and got its last answer at least `ms` ago. */
  quiet(instance: string, ms: number): boolean {
    return (this.inFlight_.get(instance) ?? 0) === 0 && Date.now() - (this.lastAnswer.get(instance) ?? 0) >= ms;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/([^/]+)\/bot[^/]+\/([A-Za-z]+)/u.exec(req.url ?? '');
    const instance = match?.[1] ?? '?';
    this.inFlight_.set(instance, (this.inFlight_.get(instance) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let payload: Record<string, unknown> = {};
    if ((req.headers['content-type'] ?? '').includes('json') && raw) payload = JSON.parse(raw) as Record<string, unknown>;
    const method = match?.[2] ?? '?';
    const call: BotApiCall = { instance, method, payload, at: Date.now() };
    let result: unknown = true;
    if (method === 'getMe') {
      result = { id: 7_000_000_009, is_bot: true, first_name: 'SIRATU', username: 'SiratuScaleBot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false };
    } else if (method === 'sendMessage') {
      call.messageId = this.nextMessageId++;
      result = { message_id: call.messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(payload.chat_id), type: 'private' }, text: payload.text };
    }
    // Recorded as Telegram would: the moment it accepts the call, before the caller hears back.
    this.calls.push(call);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, result }), () => {
      this.inFlight_.set(instance, (this.inFlight_.get(instance) ?? 1) - 1);
      this.lastAnswer.set(instance, Date.now());
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The environment that turns the Telegram channel on in webhook mode against the fake Bot API. */
export function telegramEnv(api: FakeBotApi, instance: string): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_ROOT: api.apiRoot(instance),
    TELEGRAM_WEBHOOK_URL: 'http://siratu.test/telegram/webhook',
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
}

// ---------------------------------------------------------------- WhatsApp's side

export interface WhatsAppConnectionRecord {
  /** From the `?instance=` of the socket address each instance was given. */
  instance: string;
  openedAt: number;
  closedAt?: number;
}

/** Accepts Baileys' WebSocket and keeps it open without answering (the protocol cannot be emulated). */
export class FakeWhatsAppServer {
  readonly connections: WhatsAppConnectionRecord[] = [];
  private readonly sockets = new Set<WebSocket>();
  /** The most sockets ever open at the same moment. */
  maxOpen = 0;

  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (ws, req) => {
      const record: WhatsAppConnectionRecord = { instance: new URL(req.url ?? '/', 'ws://x').searchParams.get('instance') ?? '?', openedAt: Date.now() };
      this.connections.push(record);
      this.sockets.add(ws);
      this.maxOpen = Math.max(this.maxOpen, this.sockets.size);
      ws.on('close', () => {
        record.closedAt = Date.now();
        this.sockets.delete(ws);
      });
      ws.on('error', () => undefined);
    });
  }

  static async start(): Promise<FakeWhatsAppServer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws/chat' });
    await new Promise((resolve) => server.once('listening', resolve));
    return new FakeWhatsAppServer(server);
  }

  url(instance: string): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws/chat?instance=${instance}`;
  }

  /** Sockets open now, by instance. */
  open(): string[] {
    return this.connections.filter((c) => c.closedAt === undefined).map((c) => c.instance);
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// ---------------------------------------------------------------- citizens

/** Where a request goes: the next live instance, round robin (a load balancer's job). */
export class Balancer {
  private next = 0;
  constructor(private readonly instances: Instance[]) {}

  pick(): Instance {
    const live = this.instances.filter((instance) => instance.running);
    if (live.length === 0) throw new Error('no instance is running');
    return live[this.next++ % live.length]!;
  }
}

export interface Attempt {
  instance: string;
  /** HTTP status, or the network error's text. */
  outcome: number | string;
  ms: number;
}

export interface Sent {
  text: string;
  /** Web chat: the browser's id for the message (kept when it is sent again). */
  clientMessageId?: string;
  attempts: Attempt[];
  /** Accepted: some attempt got a 2xx. */
  accepted: boolean;
  /** The web chat's answer to the accepted attempt. */
  body?: { message: { id: string }; replies: { id: string; text: string; kind: string | null }[]; duplicate: boolean };
}

/** Sends one request, retrying on other instances on network errors and 5xx (never on 4xx), like a client behind a balancer. */
async function withRetries(balancer: Balancer, send: (instance: Instance) => Promise<Response>, options: { attempts?: number } = {}): Promise<{ attempts: Attempt[]; response?: Response }> {
  const attempts: Attempt[] = [];
  for (let i = 0; i < (options.attempts ?? 40); i++) {
    let instance: Instance;
    try {
      instance = balancer.pick();
    } catch {
      await sleep(200);
      continue;
    }
    const started = Date.now();
    try {
      const response = await send(instance);
      attempts.push({ instance: instance.name, outcome: response.status, ms: Date.now() - started });
      if (response.status < 500) return { attempts, response };
      await response.body?.cancel();
    } catch (error) {
      attempts.push({ instance: instance.name, outcome: String((error as Error).cause ?? error), ms: Date.now() - started });
    }
    await sleep(Math.min(1000, 50 * (i + 1)));
  }
  return { attempts };
}

let citizens = 0;

/** A citizen in the web chat: one session (the widget keeps it in localStorage), whichever instance answers. */
export class WebChatCitizen {
  readonly sent: Sent[] = [];
  /** A distinct client address (X-Forwarded-For from loopback is trusted), so per-address limits stay per citizen. */
  readonly ip = `203.0.${Math.floor(citizens / 250) % 250}.${(citizens++ % 250) + 1}`;
  private constructor(readonly session: string) {}

  static async start(balancer: Balancer): Promise<WebChatCitizen> {
    const { response } = await withRetries(balancer, (instance) => fetch(`${instance.base}/webchat/api/session`, { method: 'POST', signal: AbortSignal.timeout(15_000) }));
    if (response?.status !== 201) throw new Error(`no web chat session (${response?.status})`);
    return new WebChatCitizen(((await response.json()) as { session: string }).session);
  }

  /** Sends a message (retried with the same clientMessageId elsewhere until some instance accepts it). */
  async say(balancer: Balancer, text: string, options: { attempts?: number; timeoutMs?: number; clientMessageId?: string } = {}): Promise<Sent> {
    const clientMessageId = options.clientMessageId ?? randomUUID();
    const { attempts, response } = await withRetries(
      balancer,
      (instance) =>
        fetch(`${instance.base}/webchat/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-siratu-session': this.session, 'x-forwarded-for': this.ip },
          body: JSON.stringify({ text, clientMessageId }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        }),
      options,
    );
    const sent: Sent = { text, clientMessageId, attempts, accepted: response !== undefined && response.ok };
    if (response?.ok) sent.body = (await response.json()) as Sent['body'];
    else await response?.body?.cancel();
    this.sent.push(sent);
    return sent;
  }
}

let nextUpdateId = 500_000;

/** A Telegram user in a private chat; "Telegram" delivers each update to the webhook until an instance answers 2xx. */
export class TelegramCitizen {
  readonly sent: (Sent & { messageId: number })[] = [];
  private nextMessageId = 1;
  constructor(
    readonly chatId: number,
    readonly firstName = `Warga${chatId}`,
  ) {}

  async say(balancer: Balancer, text: string, options: { attempts?: number; timeoutMs?: number } = {}): Promise<Sent & { messageId: number }> {
    const messageId = this.nextMessageId++;
    const user = { id: this.chatId, is_bot: false, first_name: this.firstName, language_code: 'id' };
    const update = {
      update_id: nextUpdateId++,
      message: { message_id: messageId, from: user, chat: { id: this.chatId, type: 'private', first_name: this.firstName }, date: Math.floor(Date.now() / 1000), text },
    };
    const { attempts, response } = await withRetries(
      balancer,
      (instance) =>
        fetch(`${instance.base}/telegram/webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        }),
      options,
    );
    await response?.body?.cancel();
    const sent = { text, attempts, accepted: response !== undefined && response.ok, messageId };
    this.sent.push(sent);
    return sent;
  }
}

/** A complaint intake from the first message to the ticket number. */
export const COMPLAINT_SCRIPT = ['ada calo di depan kantor minta 200rb biar cepat', 'lewati', 'lewati', 'lewati', 'ya'];

/** Questions citizens ask (each answered from the knowledge base). */
export const QUESTIONS = [
  'syarat bikin ktp',
  'kk hilang gmn urusnya',
  'akte lahir anak bawa apa aja',
  'jam buka kantor dukcapil',
  'biayanya berapa?',
  'cara pindah domisili',
  'syarat kia anak',
  'akta kematian syaratnya apa',
];

// ---------------------------------------------------------------- live streams

export interface StreamEvent {
  id?: string;
  data: string;
  at: number;
}

/** A Server-Sent-Events stream read in the background (a widget's or an inbox's live channel). */
export class LiveStream {
  readonly events: StreamEvent[] = [];
  status = 0;
  /** Set when the server ended the stream (rather than the test). */
  ended = false;
  private readonly controller = new AbortController();
  private reading: Promise<void> = Promise.resolve();

  private constructor(readonly url: string) {}

  /** Opens the stream; resolves once the server answered with its headers. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<LiveStream> {
    const stream = new LiveStream(url);
    const response = await fetch(url, { headers, signal: stream.controller.signal });
    stream.status = response.status;
    if (!response.ok || !response.body) throw new Error(`stream ${url} → ${response.status}`);
    stream.reading = stream.read(response.body.getReader());
    return stream;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          this.ended = true;
          return;
        }
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: StreamEvent = { data: '', at: Date.now() };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) event.id = line.slice(3).trim();
            else if (line.startsWith('data:')) {
              event.data += (hasData ? '\n' : '') + line.slice(5).trimStart();
              hasData = true;
            }
          }
          if (hasData) this.events.push(event);
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') this.ended = true;
    }
  }

  /** Waits until an event's data matches. */
  async waitFor(match: (data: string) => boolean, timeoutMs: number, what: string): Promise<StreamEvent> {
    await until(() => this.events.some((event) => match(event.data)), timeoutMs, what, 20);
    return this.events.find((event) => match(event.data))!;
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.reading;
  }
}

// ---------------------------------------------------------------- a request still in progress

export interface SlowRequest {
  /** Sends the rest of the body; resolves with the answer (or the network error's text as `status`). */
  finish(): Promise<{ status: number | string; body: string }>;
}

/**
 * A POST whose body arrives in two halves: the server has the request (headers and half the body) and is
 * handling it, but cannot finish before `finish()` sends the rest. A citizen on a slow phone connection.
 */
export async function slowPost(url: string, headers: Record<string, string>, body: string): Promise<SlowRequest> {
  const data = Buffer.from(body);
  const half = Math.floor(data.length / 2);
  const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(data.length) }, agent: false });
  const answer = new Promise<{ status: number | string; body: string }>((resolve) => {
    req.on('response', async (res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
    });
    req.on('error', (error) => resolve({ status: String(error), body: '' }));
  });
  await new Promise<void>((resolve, reject) => {
    req.once('error', reject);
    req.write(data.subarray(0, half), () => resolve());
  });
  return {
    async finish() {
      req.end(data.subarray(half));
      return answer;
    },
  };
}
