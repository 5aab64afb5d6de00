/**
 * The WhatsApp channel (Baileys), assembled:
 *
 *   auth-state.ts   the linked device's session in our store, encrypted
 *   connection.ts   one socket, reconnect/backoff, logout/ban detection, status
 *   lease.ts        with REDIS_URL, exactly one instance holds the connection
 *   decode.ts       what a Baileys message is to us (pure)
 *   inbound.ts      citizen messages → the dispatcher; staff on the phone → takeover
 *   sender.ts       the outbox's ChannelSender: paced, signed, idempotent ids
 *   status.ts       the status admins see (settings `whatsapp.status`)
 *
 * Admin actions (pairing code, logout, restart) are run by the instance that
 * holds the connection: directly when that is this process, otherwise as a
 * job on the `whatsapp:command` queue, which only the holder works on.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { WASocket } from '@whiskeysockets/baileys';
import { Redis } from 'ioredis';
import type { OneTimeCodeSender } from '../../bot/context.js';
import type { Dispatcher } from '../../bot/dispatcher.js';
import type { Logger } from '../../bot/log.js';
import type { JobQueue } from '../../bot/queue/types.js';
import type { Store } from '../../bot/store/types.js';
import { AuthCipher } from './crypto.js';
import { WhatsAppActionError, WhatsAppConnection, pairingPhone, type BackoffOptions, type ConnectionOptions } from './connection.js';
import { WhatsAppInbound, type MediaDownloader } from './inbound.js';
import { KnownChats } from './known-chats.js';
import { RedisLease } from './lease.js';
import { WhatsAppSender } from './sender.js';
import { readStatus, type WhatsAppStatus } from './status.js';

export { WhatsAppActionError } from './connection.js';
export type { WhatsAppStatus, WhatsAppState } from './status.js';

export const COMMAND_QUEUE = 'whatsapp:command';

export type WhatsAppCommand = { type: 'pairing-code'; phone: string } | { type: 'logout' } | { type: 'restart' };

/** What the admin area uses; works on every instance. */
export interface WhatsAppControl {
  /** The status the holder last published. */
  status(): Promise<WhatsAppStatus | null>;
  /** Asks for a code to type on the phone (Linked devices → Link with phone number). It appears in the status. */
  requestPairingCode(phone: string): Promise<void>;
  logout(): Promise<void>;
  /** Connects again now (after a logout, a ban, an expired QR code, or to skip the backoff). */
  restart(): Promise<void>;
}

export interface WhatsAppChannelDeps {
  store: Store;
  dispatcher: Pick<Dispatcher, 'receive' | 'events' | 'postTo'>;
  log: Logger;
  /** WHATSAPP_AUTH_KEY, decoded (32 bytes). */
  authKey: Buffer;
  /** WHATSAPP_OLD_MESSAGE_HOURS. */
  oldMessageHours: number;
  /** Scale-out: the lease lives here. Without it this process holds the connection. */
  redis?: Redis;
  /** Or REDIS_URL: the channel opens (and closes) its own client for the lease. */
  redisUrl?: string;
  /** For admin commands from other instances. */
  queue?: JobQueue;
  instance?: string;
  lease?: { ttlMs?: number; renewMs?: number; key?: string };
  backoff?: BackoffOptions;
  socketConfig?: ConnectionOptions['socketConfig'];
  makeSocket?: ConnectionOptions['makeSocket'];
  fetchVersion?: boolean;
  relinkAfterLogout?: boolean;
  download?: MediaDownloader;
  sender?: { jitterMs?: [number, number]; ratePerSecond?: number };
  clock?: () => Date;
}

export interface WhatsAppChannel {
  sender: WhatsAppSender;
  control: WhatsAppControl;
  /** Sends one-time codes for ticket ownership checks (the engine's status flow). */
  oneTimeCodes: OneTimeCodeSender;
  connection: WhatsAppConnection;
  inbound: WhatsAppInbound;
  lease: RedisLease | undefined;
  /** True while this process holds (and runs) the connection. */
  readonly holding: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createWhatsAppChannel(deps: WhatsAppChannelDeps): WhatsAppChannel {
  const log = deps.log.child({ channel: 'whatsapp' });
  const cipher = new AuthCipher(deps.authKey);
  const chats = new KnownChats(deps.store.keyValue);
  const instance = deps.instance ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const inbound = new WhatsAppInbound({
    store: deps.store,
    dispatcher: deps.dispatcher,
    cipher,
    chats,
    log: deps.log,
    oldMessageMs: deps.oldMessageHours * 3_600_000,
    download: deps.download,
    clock: deps.clock,
  });
  const connection = new WhatsAppConnection({
    store: deps.store,
    cipher,
    log: deps.log,
    instance,
    socketConfig: deps.socketConfig,
    makeSocket: deps.makeSocket,
    backoff: deps.backoff,
    fetchVersion: deps.fetchVersion,
    relinkAfterLogout: deps.relinkAfterLogout,
    onSocket: (socket: WASocket) => inbound.attach(socket),
    onOpenChange: (open) => sender.setOpen(open),
  });
  const sender: WhatsAppSender = new WhatsAppSender({ socket: () => connection.openSocket, cipher, chats, log: deps.log, files: deps.store.files, ...deps.sender });

  let holding = false;
  let processing = false;
  const run = async (command: WhatsAppCommand): Promise<void> => {
    if (command.type === 'pairing-code') await connection.requestPairingCode(command.phone);
    else if (command.type === 'logout') await connection.logout();
    else await connection.restart();
  };
  const workCommands = () => {
    if (processing || !deps.queue) return;
    processing = true;
    deps.queue.process<WhatsAppCommand>(COMMAND_QUEUE, async (job) => {
      // A former holder still sees jobs: failing the attempt sends it on to the new holder.
      if (!holding) throw new Error('this instance does not hold the WhatsApp connection');
      await run(job.data);
    });
  };
  const becomeHolder = async () => {
    holding = true;
    workCommands();
    await connection.start();
  };
  const stopHolding = async (note?: string) => {
    holding = false;
    await connection.stop(note);
  };

  const redis = deps.redis ?? (deps.redisUrl ? new Redis(deps.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true }) : undefined);
  const ownsRedis = !deps.redis && redis !== undefined;
  if (ownsRedis) redis!.on('error', (error: unknown) => log.warn({ err: error }, 'whatsapp lease: redis error'));
  const lease = redis
    ? new RedisLease({
        redis,
        holder: instance,
        key: deps.lease?.key,
        ttlMs: deps.lease?.ttlMs,
        renewMs: deps.lease?.renewMs,
        log,
        onAcquired: becomeHolder,
        onLost: () => stopHolding('Koneksi diserahkan ke instance lain.'),
      })
    : undefined;

  const control: WhatsAppControl = {
    status: () => readStatus(deps.store.settings),
    async requestPairingCode(phone) {
      if (!pairingPhone(phone)) throw new WhatsAppActionError('Nomor HP tidak valid. Contoh: 081234567890.');
      await dispatch({ type: 'pairing-code', phone });
    },
    logout: () => dispatch({ type: 'logout' }),
    restart: () => dispatch({ type: 'restart' }),
  };
  async function dispatch(command: WhatsAppCommand): Promise<void> {
    if (holding) return run(command);
    if (!deps.queue) throw new WhatsAppActionError('Koneksi WhatsApp dipegang instance lain dan antrean perintah tidak tersedia.');
    await deps.queue.add(COMMAND_QUEUE, command, { attempts: 8, backoffMs: 500 });
  }

  /**
   * One-time codes for citizens following a ticket from another channel (issue 3 §4). The citizen
   * gave this number when filing and has just asked for the code: the one chat the office starts.
   */
  const oneTimeCodes: OneTimeCodeSender = {
    async available() {
      return (await readStatus(deps.store.settings))?.state === 'open';
    },
    async send(phone, text) {
      const jid = `62${phone.replace(/^0/u, '')}@s.whatsapp.net`;
      await chats.remember(jid);
      await deps.dispatcher.postTo('whatsapp', jid, { author: 'system', kind: 'status', text });
    },
  };

  return {
    sender,
    control,
    oneTimeCodes,
    connection,
    inbound,
    lease,
    get holding() {
      return holding;
    },
    async start() {
      if (lease) await lease.start();
      else await becomeHolder();
    },
    async stop() {
      if (holding) await stopHolding('Instance yang memegang koneksi dimatikan.');
      if (lease) await lease.stop(); // released: another instance takes over at once
      await inbound.idle();
      if (ownsRedis) await redis!.quit().catch(() => undefined);
    },
  };
}
