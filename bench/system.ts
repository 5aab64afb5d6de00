/**
 * System benchmark (`npm run bench:system`): the whole product as a citizen
 * meets it, over HTTP, in separate processes, measured in one run:
 *
 *   throughput  web chat messages per second end to end (HTTP in, the
 *               engine's replies out in the response), as a ratio to a bare
 *               express echo endpoint measured on the same machine in the
 *               same run; embedded mode, then with REDIS_URL (bull queues
 *               and the Redis event bus)
 *   latency     p50 / p99 of those requests under that load
 *   memory      RSS of an instance holding 10,000 active conversations
 *   cold start  process spawn → first answer to a citizen, fresh data dir
 *
 * Messages are the labelled development set (bench/devset/), sent by
 * virtual citizens, each with its own web chat session and its own client
 * address (X-Forwarded-For with TRUST_PROXY=true, as behind the city's
 * reverse proxy), so the per-session and per-address limits see a crowd of
 * citizens, not one abuser. Results: bench/results/system.{json,md}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadDevset } from './devset.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/u, '').split('=') as [string, string]));
const DURATION_S = Number(args.get('duration') ?? 15);
const CONNECTIONS = Number(args.get('connections') ?? 32);
const CONVERSATIONS = Number(args.get('conversations') ?? 10_000);
const REDIS_URL = args.get('redis') ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const texts = loadDevset().map((c) => c.text);

interface Running {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/**
 * Node's flags as `npm start` passes them (package.json), so the benchmark measures the product as
 * it is started (the V8 memory settings there decide the memory figure).
 */
const startFlags = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(/\s+/u)
  .filter((part) => part.startsWith('--max-') || part.startsWith('--heap-'));

/** Starts a TypeScript entry point as its own process (siratu with `npm start`'s flags) and waits for the port it prints. */
function run(script: string, env: Record<string, string>, portPattern: RegExp): Promise<Running> {
  const flags = script === 'scripts/start.ts' ? startFlags : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = portPattern.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        resolve({
          child,
          port: Number(match[1]),
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening:\n${output}`)));
  });
}

function startSiratu(env: Record<string, string> = {}): Promise<Running & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'siratu-bench-'));
  const started = run('scripts/start.ts', { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', TRUST_PROXY: 'true', REDIS_URL: '', ...env }, /localhost:(\d+)\//u);
  return started.then((running) => ({
    ...running,
    dataDir,
    stop: async () => {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  }));
}

/** A virtual citizen's address: distinct per session, from a documentation range. */
const addressOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

async function newSession(port: number, n: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/webchat/api/session`, { method: 'POST', headers: { 'X-Forwarded-For': addressOf(n) } });
  if (response.status !== 201) throw new Error(`session: HTTP ${response.status}`);
  return ((await response.json()) as { session: string }).session;
}

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  failed: number;
}

function summarize(result: autocannon.Result): Load {
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function echoLoad(): Promise<Load> {
  const echo = await run('bench/echo-server.ts', { PORT: '0' }, /listening (\d+)/u);
  try {
    let i = 0;
    const result = await autocannon({
      url: `http://127.0.0.1:${echo.port}`,
      connections: CONNECTIONS,
      duration: DURATION_S,
      requests: [
        {
          method: 'POST',
          path: '/echo',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({ ...request, body: JSON.stringify({ text: texts[i++ % texts.length], clientMessageId: `bench-${i}-echo` }) }),
        },
      ],
    });
    return summarize(result);
  } finally {
    await echo.stop();
  }
}

/** Citizens chatting: each request is the next message of one of many sessions, the replies come back in the response. */
async function webchatLoad(env: Record<string, string>): Promise<Load> {
  const app = await startSiratu(env);
  try {
    // Enough citizens that none exceeds a person's 30 messages a minute at several hundred messages a second.
    const citizens = 1500;
    const sessions: string[] = [];
    for (let n = 0; n < citizens; n += 50) sessions.push(...(await Promise.all(Array.from({ length: 50 }, (_, k) => newSession(app.port, n + k)))));
    let i = 0;
    const result = await autocannon({
      url: `http://127.0.0.1:${app.port}`,
      connections: CONNECTIONS,
      duration: DURATION_S,
      requests: [
        {
          method: 'POST',
          path: '/webchat/api/messages',
          setupRequest: (request) => {
            const n = i++;
            const citizen = n % citizens;
            return {
              ...request,
              headers: { 'content-type': 'application/json', 'X-Siratu-Session': sessions[citizen]!, 'X-Forwarded-For': addressOf(citizen) },
              body: JSON.stringify({ text: texts[n % texts.length], clientMessageId: `bench-${n}-${citizen}` }),
            };
          },
        },
      ],
    });
    return summarize(result);
  } finally {
    await app.stop();
  }
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/u.exec(status)![1]) / 1024;
}

/** RSS of one instance after CONVERSATIONS citizens each opened a conversation and asked something. */
async function memoryWithConversations(): Promise<{ conversations: number; idleMb: number; rssMb: number }> {
  const app = await startSiratu();
  try {
    const idleMb = rssMb(app.child.pid!);
    let next = 0;
    const worker = async () => {
      while (next < CONVERSATIONS) {
        const n = next++;
        const session = await newSession(app.port, n);
        const response = await fetch(`http://127.0.0.1:${app.port}/webchat/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'X-Siratu-Session': session, 'X-Forwarded-For': addressOf(n) },
          body: JSON.stringify({ text: texts[n % texts.length], clientMessageId: `mem-${n}-aaaa` }),
        });
        if (!response.ok) throw new Error(`message: HTTP ${response.status}`);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return { conversations: CONVERSATIONS, idleMb, rssMb: rssMb(app.child.pid!) };
  } finally {
    await app.stop();
  }
}

/** Spawn → listening → a session → the first answer, on a fresh data directory (so it includes seeding the knowledge base). */
async function coldStart(): Promise<number> {
  const started = performance.now();
  const app = await startSiratu();
  try {
    const session = await newSession(app.port, 1);
    const response = await fetch(`http://127.0.0.1:${app.port}/webchat/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Siratu-Session': session },
      body: JSON.stringify({ text: 'ktp saya hilang, syaratnya apa', clientMessageId: 'cold-start-1' }),
    });
    const body = (await response.json()) as { replies: { kind: string }[] };
    if (body.replies[0]?.kind !== 'answer') throw new Error(`cold start: expected an answer, got ${JSON.stringify(body)}`);
    return performance.now() - started;
  } finally {
    await app.stop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

const echo = await echoLoad();
console.log('echo', echo);
const embedded = await webchatLoad({});
console.log('embedded', embedded);
const withRedis = await webchatLoad({ REDIS_URL });
console.log('redis', withRedis);
const memory = await memoryWithConversations();
console.log('memory', memory);
const coldStarts = [await coldStart(), await coldStart(), await coldStart()];
console.log('cold starts (ms)', coldStarts.map((ms) => round(ms)));

const results = {
  measuredAt: new Date().toISOString(),
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
  settings: { durationSeconds: DURATION_S, connections: CONNECTIONS },
  echo,
  embedded: { ...embedded, ratio: round(embedded.requestsPerSecond / echo.requestsPerSecond, 3) },
  redis: { ...withRedis, ratio: round(withRedis.requestsPerSecond / echo.requestsPerSecond, 3) },
  memory,
  coldStartMs: { runs: coldStarts.map((ms) => round(ms)), median: round(median(coldStarts)) },
};
writeFileSync(join(here, 'results', 'system.json'), `${JSON.stringify(results, null, 2)}\n`);
const row = (name: string, load: Load, ratio: string, target: string) =>
  `| ${name} | ${round(load.requestsPerSecond)} | ${ratio} | ${target} | ${load.p50} / ${load.p99} | ${load.total} | ${load.failed} |`;
const markdown = [
  `System benchmark, ${results.measuredAt.slice(0, 10)}, Node ${process.version}, ${results.machine.cpus} CPU, ${CONNECTIONS} connections × ${DURATION_S} s (\`npm run bench:system\`)`,
  '',
  '| run | requests/s | ratio to echo | target | latency p50 / p99 (ms) | requests | failed |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  row('express echo (baseline)', echo, '1', ''),
  row('web chat, embedded', embedded, String(results.embedded.ratio), '≥ 0.5'),
  row('web chat, REDIS_URL', withRedis, String(results.redis.ratio), '≥ 0.5'),
  '',
  `Memory: ${round(memory.idleMb)} MB RSS idle, ${round(memory.rssMb)} MB with ${memory.conversations} active conversations (target ≤ 300 MB).`,
  `Cold start to first answer: median ${results.coldStartMs.median} ms of ${coldStarts.length} runs (target ≤ 3000 ms).`,
  '',
].join('\n');
writeFileSync(join(here, 'results', 'system.md'), markdown);
console.log(`\n${markdown}`);
