/**
 * Photos and documents citizens send on Telegram: fetched from the Bot API
 * server (getFile, then the file URL on the same API root), checked with the
 * web chat's rules (5 MB; JPEG/PNG/WebP/GIF/PDF decided from the bytes,
 * never from the name) and saved in the store. The file URL contains the
 * bot token: it is never logged.
 */
import type { Api } from 'grammy';
import type { FileRepository } from '../../bot/store/types.js';
import type { Attachment } from '../../bot/types.js';
import { ACCEPTED_TYPES, MAX_FILE_BYTES, fileType, safeFileName } from '../webchat/attachments.js';
import type { IncomingFile } from './decode.js';

export const DEFAULT_API_ROOT = 'https://api.telegram.org';
const DOWNLOAD_TIMEOUT_MS = 30_000;

export type FetchFile = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export type Saved = { ok: true; attachment: Attachment };
/** The file is not one we take: the citizen is told. */
export type Refused = { ok: false; reason: 'too_large' | 'unsupported_type' };
/** Telegram did not give us the file (network, Bot API server): worth another try. */
export type Unavailable = { ok: false; reason: 'unavailable'; detail: string };
export type SavedFile = Saved | Refused | Unavailable;

export interface FileDownloader {
  save(file: IncomingFile): Promise<SavedFile>;
}

export function createFileDownloader(deps: { api: Api; token: string; apiRoot?: string; files: FileRepository; fetch?: FetchFile }): FileDownloader {
  const root = (deps.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/u, '');
  const fetchFile: FetchFile = deps.fetch ?? ((url, init) => fetch(url, init));

  return {
    async save(file) {
      // Checked before downloading: a 40 MB video sent as a document costs nothing.
      if (file.size !== undefined && file.size > MAX_FILE_BYTES) return { ok: false, reason: 'too_large' };
      let data: Buffer;
      try {
        const info = await deps.api.getFile(file.fileId);
        if (info.file_size !== undefined && info.file_size > MAX_FILE_BYTES) return { ok: false, reason: 'too_large' };
        if (!info.file_path) return { ok: false, reason: 'unavailable', detail: 'no file_path' };
        const response = await fetchFile(`${root}/file/bot${deps.token}/${info.file_path}`, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
        if (!response.ok) return { ok: false, reason: 'unavailable', detail: `HTTP ${response.status}` };
        const declared = Number(response.headers.get('content-length') ?? NaN);
        if (declared > MAX_FILE_BYTES) return { ok: false, reason: 'too_large' };
        data = Buffer.from(await response.arrayBuffer());
      } catch (error) {
        return { ok: false, reason: 'unavailable', detail: error instanceof Error ? error.message.replaceAll(deps.token, '<token>') : String(error) };
      }
      if (data.length > MAX_FILE_BYTES) return { ok: false, reason: 'too_large' };
      if (data.length === 0) return { ok: false, reason: 'unavailable', detail: 'empty file' };
      const type = fileType(data, file.mimeType);
      if (!type) return { ok: false, reason: 'unsupported_type' };
      const fileName = safeFileName(file.fileName, type);
      const key = await deps.files.put(data, { fileName, mimeType: type });
      return { ok: true, attachment: { kind: ACCEPTED_TYPES[type].kind, key, fileName, mimeType: type, size: data.length } };
    },
  };
}
