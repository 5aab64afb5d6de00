/**
 * The chats whose citizen wrote to the office first. Two rules depend on it:
 *
 *   - we never send to anyone else (bans follow messages to people who did
 *     not write first; and a number typed by mistake must not get our text)
 *   - a message staff type on the linked phone only pauses the bot in such a
 *     chat; the office phone's other chats (colleagues, suppliers) are none
 *     of our business and are not recorded
 *
 * Kept in the store (`wa:chats`), so every instance and every restart agrees;
 * remembered in memory too, so a chat costs one write per process.
 */
import type { KeyValueRepository } from '../../bot/store/types.js';

export const CHATS_NAMESPACE = 'wa:chats';

export class KnownChats {
  private readonly known = new Set<string>();

  constructor(private readonly keyValue: KeyValueRepository) {}

  async remember(jid: string): Promise<void> {
    if (this.known.has(jid)) return;
    await this.keyValue.set(CHATS_NAMESPACE, { [jid]: new Date().toISOString() });
    this.known.add(jid);
  }

  async has(jid: string): Promise<boolean> {
    if (this.known.has(jid)) return true;
    const found = (await this.keyValue.get(CHATS_NAMESPACE, [jid]))[jid] !== undefined;
    if (found) this.known.add(jid);
    return found;
  }
}
