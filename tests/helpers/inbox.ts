/**
 * Helpers for the inbox tests: the REAL app (createApp) with the office
 * open around the clock (a handoff outside office hours becomes a ticket
 * instead, and tests must not depend on the wall clock), staff accounts
 * with a chosen capacity, citizens talking through the real web chat API,
 * and an agent client that speaks JSON with the session's CSRF token.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../admin/passwords.js';
import { OFFICE_SETTING } from '../../bot/knowledge-base.js';
import type { Conversation, Role, User } from '../../bot/store/types.js';
import type { WebMessage } from '../../channels/webchat/encode.js';
import { senderIdOf } from '../../channels/webchat/session.js';
import type { OfficeProfile } from '../../knowledge/schema.js';
import type { App } from '../../scripts/app.js';
import { Client, startAdminApp, type AdminTestApp } from './admin.js';

export const PASSWORD = 'kotak masuk bersama';

/** The office's helpdesk is staffed every day, all day: handoffs wait for an agent whatever the time. */
export async function openAroundTheClock(app: App): Promise<void> {
  const office = (await app.store.settings.get<OfficeProfile>(OFFICE_SETTING))!;
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as OfficeProfile['hours'][number]['days'];
  await app.store.settings.put(OFFICE_SETTING, { ...office, hours: [{ days, open: '00:00', close: '23:59' }] });
  const revision = (await app.store.settings.get<number>(`${OFFICE_SETTING}.revision`)) ?? 0;
  await app.store.settings.put(`${OFFICE_SETTING}.revision`, revision + 1);
  // The engine's knowledge snapshot re-reads the profile on its next turn.
  app.knowledge.invalidate();
}

export async function startInboxApp(env: Record<string, string> = {}): Promise<AdminTestApp> {
  const server = await startAdminApp(env);
  await openAroundTheClock(server.app);
  return server;
}

let hash: Promise<string> | undefined;

/**
 * A staff account. `capacity: 0` keeps an online agent out of automatic
 * assignment (they take conversations by hand), so a test can watch a
 * conversation wait in "Menunggu" while the agent has the inbox open.
 */
export async function makeStaff(app: App, username: string, role: Role = 'agent', options: { capacity?: number; displayName?: string } = {}): Promise<User> {
  hash ??= hashPassword(PASSWORD);
  return app.store.users.create({
    username,
    displayName: options.displayName ?? username.replace(/^./u, (c) => c.toUpperCase()),
    role,
    passwordHash: await hash,
    capacity: options.capacity,
  });
}

/** A signed-in staff member speaking JSON (Accept: application/json, X-CSRF-Token). */
export class StaffClient {
  readonly http: Client;
  private token: string | undefined;

  constructor(readonly base: string) {
    this.http = new Client(base);
  }

  static async signIn(base: string, username: string): Promise<StaffClient> {
    const client = new StaffClient(base);
    const response = await client.http.login(username, PASSWORD);
    if (response.status !== 303) throw new Error(`${username} could not sign in (${response.status})`);
    return client;
  }

  async csrf(): Promise<string> {
    this.token ??= await this.http.csrf();
    return this.token;
  }

  get(path: string): Promise<Response> {
    return this.http.get(path, { accept: 'application/json' });
  }

  page(path: string): Promise<Response> {
    return this.http.get(path, { accept: 'text/html' });
  }

  async post(path: string, json: Record<string, unknown> = {}, options: { csrf?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.csrf !== false) headers['x-csrf-token'] = await this.csrf();
    return this.http.request('POST', path, { json, headers });
  }

  /** A plain HTML form post (urlencoded, `_csrf` field), as a browser without script sends it. */
  async form(path: string, form: Record<string, string> = {}): Promise<Response> {
    return this.http.post(path, { ...form, _csrf: await this.csrf() }, { accept: 'text/html' });
  }

  async multipart(path: string, form: FormData): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-csrf-token': await this.csrf(), 'x-forwarded-for': this.http.ip, cookie: this.http.cookieHeader() };
    return fetch(`${this.base}${path}`, { method: 'POST', headers, body: form, redirect: 'manual' });
  }

  async json<T = Record<string, unknown>>(path: string): Promise<T> {
    const response = await this.get(path);
    if (response.status !== 200) throw new Error(`GET ${path} → ${response.status}`);
    return (await response.json()) as T;
  }
}

/** A citizen in the web chat, through its real HTTP API. */
export class WebCitizen {
  private constructor(
    readonly base: string,
    readonly session: string,
  ) {}

  static async start(base: string): Promise<WebCitizen> {
    const response = await fetch(`${base}/webchat/api/session`, { method: 'POST' });
    if (response.status !== 201) throw new Error(`no web chat session (${response.status})`);
    return new WebCitizen(base, ((await response.json()) as { session: string }).session);
  }

  get senderId(): string {
    return senderIdOf(this.session);
  }

  /** Sends a message; returns the bot's replies to it. */
  async say(text: string): Promise<WebMessage[]> {
    const response = await fetch(`${this.base}/webchat/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-siratu-session': this.session },
      body: JSON.stringify({ text, clientMessageId: randomUUID() }),
    });
    if (response.status !== 200) throw new Error(`web chat POST → ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { replies: WebMessage[] }).replies;
  }

  async history(): Promise<WebMessage[]> {
    const response = await fetch(`${this.base}/webchat/api/messages`, { headers: { 'x-siratu-session': this.session } });
    return ((await response.json()) as { messages: WebMessage[] }).messages;
  }

  /** The citizen's open conversation. */
  async conversation(app: App): Promise<Conversation> {
    const contact = await app.store.contacts.upsert('web', this.senderId);
    return app.store.conversations.open(contact);
  }
}
