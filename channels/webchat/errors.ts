/**
 * Every error the web chat API returns, in one place: an HTTP status, a
 * stable code for programs, a short Indonesian message the widget can show
 * to a citizen as is, and an English message for the developer embedding it.
 */
import type { Response } from 'express';
import { MAX_TEXT_LENGTH } from '../../bot/dispatcher.js';
import { MAX_CAPTION_LENGTH, MAX_FILE_BYTES } from './attachments.js';

export const BODY_LIMIT = '16kb';

const ERRORS = {
  invalid_session: {
    status: 400,
    message: 'Sesi chat tidak valid. Muat ulang halaman untuk memulai percakapan baru.',
    messageEn: 'Missing or malformed session id: send the id from POST /webchat/api/session in the X-Siratu-Session header (or ?session= for EventSource).',
  },
  not_json: {
    status: 415,
    message: 'Pesan harus dikirim dalam format JSON.',
    messageEn: 'Send Content-Type: application/json with a body like {"text": "...", "clientMessageId": "<uuid>"}.',
  },
  invalid_json: {
    status: 400,
    message: 'Isi pesan tidak bisa dibaca. Silakan coba kirim lagi.',
    messageEn: 'The request body is not valid JSON.',
  },
  invalid_body: {
    status: 400,
    message: 'Isi pesan tidak sesuai format.',
    messageEn: 'The body must be a JSON object {"text": string, "clientMessageId": string}.',
  },
  text_required: {
    status: 400,
    message: 'Pesan masih kosong. Silakan tulis pertanyaan Anda.',
    messageEn: '`text` must be a string that is not empty after trimming.',
  },
  text_too_long: {
    status: 400,
    message: `Pesan terlalu panjang (paling banyak ${MAX_TEXT_LENGTH} huruf). Silakan persingkat.`,
    messageEn: `\`text\` must be at most ${MAX_TEXT_LENGTH} characters.`,
  },
  invalid_client_message_id: {
    status: 400,
    message: 'Pesan tidak bisa dikirim. Muat ulang halaman lalu coba lagi.',
    messageEn: '`clientMessageId` must be a string of 8 to 64 letters, digits, "-" or "_" (a UUID made by the browser for each new message).',
  },
  invalid_after: {
    status: 400,
    message: 'Permintaan riwayat chat tidak valid.',
    messageEn: '`after` (or Last-Event-ID) must be a message id: 1 to 64 letters, digits, "-" or "_".',
  },
  too_large: {
    status: 413,
    message: 'Pesan terlalu besar (paling banyak 16 KB). Silakan persingkat.',
    messageEn: `The request body is larger than ${BODY_LIMIT}.`,
  },
  not_multipart: {
    status: 415,
    message: 'Berkas harus dikirim lewat formulir unggah. Muat ulang halaman lalu coba lagi.',
    messageEn: 'Send Content-Type: multipart/form-data with the file in the field `file`, plus `clientMessageId` and an optional `text` caption.',
  },
  invalid_upload: {
    status: 400,
    message: 'Berkas tidak bisa dibaca. Kirim satu foto atau dokumen saja, lalu coba lagi.',
    messageEn: 'Malformed upload: send exactly one file in the multipart field `file`, a string `clientMessageId` and optionally a string `text`, nothing else.',
  },
  file_required: {
    status: 400,
    message: 'Belum ada berkas yang dipilih. Pilih foto atau dokumen PDF, lalu kirim lagi.',
    messageEn: 'No file: send it (not empty) in the multipart field `file`.',
  },
  file_too_large: {
    status: 413,
    message: `Berkas terlalu besar (paling banyak ${MAX_FILE_BYTES / 1024 / 1024} MB). Kirim foto dengan ukuran lebih kecil, atau potong/perkecil dulu.`,
    messageEn: `The file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB (${MAX_FILE_BYTES} bytes).`,
  },
  unsupported_file_type: {
    status: 415,
    message: 'Jenis berkas ini tidak bisa dikirim. Kirim foto (JPG, PNG, WebP, GIF) atau dokumen PDF.',
    messageEn: 'Only JPEG, PNG, WebP and GIF images and PDF documents are accepted. The type is read from the file content, not from its name or declared type.',
  },
  caption_too_long: {
    status: 400,
    message: `Keterangan berkas terlalu panjang (paling banyak ${MAX_CAPTION_LENGTH} huruf). Silakan persingkat.`,
    messageEn: `\`text\` (the caption) must be at most ${MAX_CAPTION_LENGTH} characters.`,
  },
  file_not_found: {
    status: 404,
    message: 'Berkas tidak ditemukan.',
    messageEn: 'No such file in this chat: a file is served only to the session whose chat sent or received it.',
  },
  origin_not_allowed: {
    status: 403,
    message: 'Situs ini belum diizinkan memakai layanan chat ini.',
    messageEn: 'This Origin is not allowed: add it to WEBCHAT_ALLOWED_ORIGINS (comma-separated) on the server.',
  },
  rate_limited: {
    status: 429,
    message: 'Terlalu banyak pesan dalam waktu singkat. Tunggu sebentar, lalu coba lagi.',
    messageEn: 'Too many requests: wait for the number of seconds in the Retry-After header.',
  },
  bad_request: {
    status: 400,
    message: 'Permintaan tidak bisa dibaca. Muat ulang halaman, lalu coba lagi.',
    messageEn: 'The request could not be read (e.g. a broken %-escape in the path, or a body shorter than its Content-Length).',
  },
  not_found: {
    status: 404,
    message: 'Alamat tidak ditemukan.',
    messageEn: 'No such web chat endpoint.',
  },
  internal: {
    status: 500,
    message: 'Maaf, sedang ada gangguan di server. Silakan coba lagi sebentar lagi.',
    messageEn: 'Internal server error; it has been logged.',
  },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  messageEn: string;
}

export function errorBody(code: ErrorCode): ErrorBody {
  const { message, messageEn } = ERRORS[code];
  return { error: code, message, messageEn };
}

export function sendError(res: Response, code: ErrorCode, options: { retryAfterSeconds?: number } = {}): void {
  if (options.retryAfterSeconds !== undefined) res.set('Retry-After', String(options.retryAfterSeconds));
  res.status(ERRORS[code].status).json(errorBody(code));
}
