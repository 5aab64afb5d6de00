/**
 * Photos and documents in the web chat: what may be uploaded, how the
 * multipart body is read, and how a stored file is served back.
 *
 * The type of a file is decided from its first bytes (magic numbers), never
 * from its name or the type the browser declares: a text file renamed .png
 * is refused, and a file is always served with the type its content has.
 * Files are served with `nosniff` and a CSP that allows nothing, so an
 * uploaded file can never run script in the server's origin.
 */
import type { Request, Response } from 'express';
import multer from 'multer';
import type { Attachment } from '../../bot/types.js';
import { withoutOperatorKeys } from '../http-boundary.js';
import type { ErrorCode } from './errors.js';

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_CAPTION_LENGTH = 1000;
export const MAX_FILE_NAME_LENGTH = 100;
/** Storage keys are ULIDs; anything else is answered 404 without a lookup. */
export const FILE_KEY = /^[A-Za-z0-9_-]{1,64}$/u;

export type AcceptedType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif' | 'application/pdf';

interface TypeInfo {
  kind: Attachment['kind'];
  /** Extensions a name of this type may end with; the first is added when it has none of them. */
  extensions: string[];
  /** Is it at the start of the file? */
  matches: (data: Buffer) => boolean;
}

const startsWith = (data: Buffer, bytes: number[], offset = 0) => data.length >= offset + bytes.length && bytes.every((byte, i) => data[offset + i] === byte);
const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0));

export const ACCEPTED_TYPES: Record<AcceptedType, TypeInfo> = {
  'image/jpeg': { kind: 'image', extensions: ['jpg', 'jpeg', 'jfif'], matches: (data) => startsWith(data, [0xff, 0xd8, 0xff]) },
  'image/png': { kind: 'image', extensions: ['png'], matches: (data) => startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  'image/webp': { kind: 'image', extensions: ['webp'], matches: (data) => startsWith(data, ascii('RIFF')) && startsWith(data, ascii('WEBP'), 8) },
  'image/gif': { kind: 'image', extensions: ['gif'], matches: (data) => startsWith(data, ascii('GIF87a')) || startsWith(data, ascii('GIF89a')) },
  'application/pdf': { kind: 'document', extensions: ['pdf'], matches: (data) => startsWith(data, ascii('%PDF-')) },
};

/**
 * Declared types that say nothing either way (some Android pickers send
 * octet-stream) or are old aliases of an accepted type. Any other declared
 * type (text/plain, image/svg+xml, image/heic...) is refused even if the
 * bytes look like an image.
 */
const NEUTRAL_DECLARED = new Set(['', 'application/octet-stream', 'image/jpg', 'image/pjpeg', 'application/x-pdf']);

/** The accepted type of a file from its bytes, or undefined when it is not one we take. */
export function fileType(data: Buffer, declared: string | undefined): AcceptedType | undefined {
  const claimed = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(claimed in ACCEPTED_TYPES) && !NEUTRAL_DECLARED.has(claimed)) return undefined;
  return (Object.keys(ACCEPTED_TYPES) as AcceptedType[]).find((type) => ACCEPTED_TYPES[type].matches(data));
}

export function isAcceptedType(type: string | undefined): type is AcceptedType {
  return type !== undefined && Object.hasOwn(ACCEPTED_TYPES, type);
}

/**
 * A name that is safe to store and show: no directories, no control or
 * bidi characters, at most 100 characters, ending in an extension that
 * matches the content.
 */
export function safeFileName(original: string | undefined, type: AcceptedType): string {
  const { extensions, kind } = ACCEPTED_TYPES[type];
  let name = (original ?? '')
    .split(/[/\\]/u)
    .pop()!
    .normalize('NFC')
    .replace(/[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu, '')
    .replace(/[<>:"|?*]/gu, '_')
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^\.+/u, '');
  const dot = name.lastIndexOf('.');
  let ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  let stem = dot > 0 ? name.slice(0, dot) : name;
  if (!extensions.includes(ext)) {
    // "foto.txt" that is really a PNG keeps its name and gets the right extension.
    stem = name;
    ext = extensions[0]!;
  }
  if (!stem.trim()) stem = kind === 'image' ? 'foto' : 'dokumen';
  const max = MAX_FILE_NAME_LENGTH - ext.length - 1;
  stem = [...stem].slice(0, max).join('').trim();
  name = `${stem}.${ext}`;
  return name;
}

/** `inline; filename="..."` with an ASCII fallback and the exact name as RFC 5987 `filename*`. */
export function contentDisposition(fileName: string, type: 'inline' | 'attachment' = 'inline'): string {
  const fallback = fileName.replace(/[^\x20-\x7E]/gu, '_').replace(/["\\%;]/gu, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/gu, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

const upload = multer({
  storage: multer.memoryStorage(),
  // Names arrive as UTF-8 from every current browser.
  defParamCharset: 'utf8',
  limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 4, parts: 6, fieldNameSize: 100, fieldSize: 8 * 1024 },
}).single('file');

export type ParsedUpload = { ok: true; file: Express.Multer.File | undefined; body: Record<string, unknown> } | { ok: false; error: ErrorCode };

/** Reads a multipart body (one file in `file`, at most 5 MB, in memory) and maps every failure to an error code. */
export function readUpload(req: Request, res: Response): Promise<ParsedUpload> {
  if (!req.is('multipart/form-data')) return Promise.resolve({ ok: false, error: 'not_multipart' });
  return new Promise((resolve) => {
    upload(req, res, (error?: unknown) => {
      // Field names like "text[$ne]" build objects: operator and prototype keys are dropped here, as the JSON parser does.
      if (!error) return resolve({ ok: true, file: req.file, body: withoutOperatorKeys((req.body ?? {}) as Record<string, unknown>) });
      const code = error instanceof multer.MulterError ? error.code : undefined;
      if (code === 'LIMIT_FILE_SIZE') return resolve({ ok: false, error: 'file_too_large' });
      if (code === 'LIMIT_FIELD_VALUE') return resolve({ ok: false, error: 'caption_too_long' });
      resolve({ ok: false, error: 'invalid_upload' });
    });
  });
}

/** Response headers for a stored file: its own type only when it is one we accept, never anything a browser would run. */
export function fileHeaders(file: { fileName?: string; mimeType: string }): Record<string, string> {
  const safe = isAcceptedType(file.mimeType);
  const type = safe ? file.mimeType : 'application/octet-stream';
  const name = safe ? safeFileName(file.fileName, file.mimeType as AcceptedType) : (file.fileName ?? 'berkas').replace(/[/\\]/gu, '_').slice(0, MAX_FILE_NAME_LENGTH);
  return {
    'Content-Type': type,
    'Content-Disposition': contentDisposition(name, safe ? 'inline' : 'attachment'),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, max-age=3600',
    // Nothing may load or run; the image itself still shows when opened in a tab.
    'Content-Security-Policy': "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'",
    // The URL may carry the session (an <img> cannot send headers): never pass it on.
    'Referrer-Policy': 'no-referrer',
    // The widget runs on other sites; their pages may show the image.
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
}
