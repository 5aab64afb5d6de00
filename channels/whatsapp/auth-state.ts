/**
 * The linked device's WhatsApp session, kept in our store (either engine)
 * instead of Baileys' demo session files, so it survives containers and is
 * shared by every instance that may take over the connection.
 *
 *   wa:creds / creds        the device's credentials (noise key, identity...)
 *   wa:keys  / <type>:<id>  Signal keys: sessions, pre-keys, sender keys...
 *
 * Every value is JSON (Baileys' BufferJSON) sealed with AES-256-GCM under
 * WHATSAPP_AUTH_KEY: a copy of the database alone cannot impersonate the
 * office's number. Only values that actually changed are written (Baileys
 * re-saves the same credentials and keys often). Reads go through
 * Baileys' cache (makeCacheableSignalKeyStore).
 */
import { createHash } from 'node:crypto';
import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import type { Logger } from '../../bot/log.js';
import type { KeyValueRepository } from '../../bot/store/types.js';
import type { AuthCipher } from './crypto.js';

export const CREDS_NAMESPACE = 'wa:creds';
export const KEYS_NAMESPACE = 'wa:keys';
const CREDS_KEY = 'creds';

export interface StoreAuthState {
  state: AuthenticationState;
  /** Writes the credentials if they changed since they were last read or written. */
  saveCreds(): Promise<void>;
}

const digest = (json: string) => createHash('sha256').update(json).digest('base64');

/** Loads (or creates) the session from the store. */
export async function useStoreAuthState(keyValue: KeyValueRepository, cipher: AuthCipher, log?: Logger): Promise<StoreAuthState> {
  /** Digest of what the store holds per slot, as far as this process knows: unchanged values are not written again. */
  const written = new Map<string, string>();
  const slotOf = (namespace: string, key: string) => `${namespace}/${key}`;

  const read = async <T>(namespace: string, keys: string[]): Promise<Record<string, T>> => {
    const raw = await keyValue.get(namespace, keys);
    const out: Record<string, T> = {};
    for (const [key, sealed] of Object.entries(raw)) {
      const slot = slotOf(namespace, key);
      let json: string;
      try {
        json = cipher.open(sealed, slot);
      } catch {
        // Wrong WHATSAPP_AUTH_KEY or a damaged value: treated as absent (Baileys renegotiates or asks to pair again).
        log?.warn({ slot: namespace }, 'whatsapp auth value cannot be decrypted; ignoring it');
        continue;
      }
      written.set(slot, digest(json));
      out[key] = JSON.parse(json, BufferJSON.reviver) as T;
    }
    return out;
  };

  const write = async (namespace: string, entries: Record<string, unknown>): Promise<void> => {
    const changed: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(entries)) {
      const slot = slotOf(namespace, key);
      if (value === null || value === undefined) {
        if (written.get(slot) === 'absent') continue;
        changed[key] = null;
        written.set(slot, 'absent');
        continue;
      }
      const json = JSON.stringify(value, BufferJSON.replacer);
      const hash = digest(json);
      if (written.get(slot) === hash) continue;
      changed[key] = cipher.seal(json, slot);
      written.set(slot, hash);
    }
    if (Object.keys(changed).length > 0) await keyValue.set(namespace, changed);
  };

  const stored = (await read<AuthenticationCreds>(CREDS_NAMESPACE, [CREDS_KEY]))[CREDS_KEY];
  const creds = stored ?? initAuthCreds();

  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const values = await read<SignalDataTypeMap[T]>(KEYS_NAMESPACE, ids.map((id) => `${type}:${id}`));
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        let value = values[`${type}:${id}`];
        if (value === undefined) continue;
        if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value as object) as unknown as SignalDataTypeMap[T];
        out[id] = value;
      }
      return out;
    },
    async set(data: SignalDataSet) {
      const entries: Record<string, unknown> = {};
      for (const [type, values] of Object.entries(data)) {
        for (const [id, value] of Object.entries(values ?? {})) entries[`${type}:${id}`] = value;
      }
      await write(KEYS_NAMESPACE, entries);
    },
    async clear() {
      await keyValue.clear(KEYS_NAMESPACE);
      for (const slot of [...written.keys()]) if (slot.startsWith(`${KEYS_NAMESPACE}/`)) written.delete(slot);
    },
  };

  return {
    state: { creds, keys: makeCacheableSignalKeyStore(keys, log) },
    saveCreds: () => write(CREDS_NAMESPACE, { [CREDS_KEY]: creds }),
  };
}

/** Forgets the linked device (after a logout): the next start shows a new QR code. */
export async function clearAuthState(keyValue: KeyValueRepository): Promise<void> {
  await keyValue.clear(KEYS_NAMESPACE);
  await keyValue.clear(CREDS_NAMESPACE);
}

/** Whether a linked device is stored (credentials of a registered device). */
export async function hasStoredSession(keyValue: KeyValueRepository, cipher: AuthCipher): Promise<boolean> {
  const raw = (await keyValue.get(CREDS_NAMESPACE, [CREDS_KEY]))[CREDS_KEY];
  if (!raw) return false;
  try {
    const creds = JSON.parse(cipher.open(raw, `${CREDS_NAMESPACE}/${CREDS_KEY}`), BufferJSON.reviver) as AuthenticationCreds;
    return Boolean(creds.me?.id);
  } catch {
    return false;
  }
}
