/**
 * The whole knowledge base in and out of a file.
 *
 *   GET  /knowledge/import         the page: download, upload, what the columns mean
 *   POST /knowledge/import         multipart upload (`file`: .json or .csv, ≤ 2 MB; `check=1`: only check);
 *                                  answers the per-row report (JSON, or an HTML fragment for the page script)
 *   GET  /knowledge/export.json    every published entry: {format, exportedAt, entries}
 *   GET  /knowledge/export.csv     the same as a spreadsheet (knowledge-csv.ts)
 *
 * The upload has its own 2 MB limit, read here by multer: the area's global
 * body parsers (32 KB) skip multipart bodies, and the CSRF check takes the
 * token from the X-CSRF-Token header, which the page script sends.
 */
import type { Request, Response, Router } from 'express';
import multer from 'multer';
import type { ImportReport, ImportRow } from '../../bot/knowledge-editing.js';
import { wantsJson } from '../access.js';
import type { AdminContext } from '../context.js';
import { officeToday, refused, reviewer, userOf, type KnowledgeDeps } from './knowledge-common.js';
import { CSV_COLUMNS, csvToRows, entriesToCsv } from './knowledge-csv.js';
import { describeProblem } from './knowledge-view.js';

export const IMPORT_LIMIT_BYTES = 2 * 1024 * 1024;

const upload = multer({
  storage: multer.memoryStorage(),
  defParamCharset: 'utf8',
  limits: { fileSize: IMPORT_LIMIT_BYTES, files: 1, fields: 4, parts: 6, fieldSize: 1024 },
}).single('file');

/** Reads the upload; resolves the file's text or a message for the person uploading. */
function readFile(req: Request, res: Response): Promise<{ name: string; text: string } | { error: string; status: number }> {
  if (!req.is('multipart/form-data')) return Promise.resolve({ error: 'Pilih berkas .json atau .csv untuk diimpor.', status: 400 });
  return new Promise((resolve) => {
    upload(req, res, (error?: unknown) => {
      if (error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE') return resolve({ error: 'Berkas terlalu besar (paling besar 2 MB).', status: 413 });
      if (error || !req.file) return resolve({ error: 'Berkas tidak terbaca. Pilih berkas .json atau .csv, lalu coba lagi.', status: 400 });
      resolve({ name: req.file.originalname, text: req.file.buffer.toString('utf8') });
    });
  });
}

/** The file as import rows, or why it cannot be read at all. */
export function rowsOf(name: string, text: string): { rows: ImportRow[]; csv: boolean } | { error: string } {
  const trimmed = text.replace(/^\uFEFF/u, '').trimStart();
  if (/\.json$/iu.test(name) || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch {
      return { error: 'Berkas JSON tidak bisa dibaca (mungkin terpotong atau ada tanda baca yang salah).' };
    }
    const list = Array.isArray(data) ? data : (data as { entries?: unknown } | null)?.entries;
    if (!Array.isArray(list)) return { error: 'Berkas JSON harus berisi daftar entri ({"entries": [...]}), seperti hasil ekspor.' };
    return { rows: list.map((entry, index) => ({ row: index + 1, entry })), csv: false };
  }
  const csv = csvToRows(text);
  return 'error' in csv ? csv : { rows: csv.rows, csv: true };
}

const CHANGE = { new: 'Baru', changed: 'Berubah', unchanged: 'Sama', invalid: 'Ada kesalahan' } as const;
const OUTCOME = {
  published: 'Terbit',
  submitted: 'Diajukan, menunggu persetujuan',
  unchanged: 'Tidak diubah',
  'not-applied': 'Tidak diterapkan',
  failed: 'Gagal',
} as const;

/** The report as the page shows it. */
function reportView(report: ImportReport, options: { checkOnly: boolean; csv: boolean }) {
  const count = (change: keyof typeof CHANGE) => report.rows.filter((row) => row.change === change).length;
  const invalid = count('invalid');
  const summary = invalid
    ? `Tidak ada yang diubah: ${invalid} ${options.csv ? 'baris' : 'entri'} perlu diperbaiki (lihat tanda merah). Perbaiki berkasnya, lalu impor lagi.`
    : options.checkOnly
      ? `Berkas ini benar. Bila diimpor: ${count('new')} entri baru, ${count('changed')} berubah, ${count('unchanged')} sama. Belum ada yang diubah.`
      : report.publishes
        ? `Selesai: ${report.rows.filter((r) => r.outcome === 'published').length} entri terbit dan langsung dipakai bot; ${count('unchanged')} tidak berubah.`
        : `Selesai: ${report.rows.filter((r) => r.outcome === 'submitted').length} entri diajukan dan menunggu persetujuan supervisor atau admin; ${count('unchanged')} tidak berubah.`;
  const failed = report.rows.filter((row) => row.outcome === 'failed').length;
  return {
    ok: invalid === 0 && failed === 0,
    summary: failed ? `${summary} ${failed} entri gagal disimpan (lihat tanda merah).` : summary,
    rowLabel: options.csv ? 'Baris' : 'Entri ke-',
    rows: report.rows.map((row) => ({
      row: row.row,
      entryId: row.entryId ?? '',
      title: row.title ?? '',
      change: CHANGE[row.change],
      changeKey: row.change,
      outcome: OUTCOME[row.outcome],
      outcomeKey: row.outcome,
      errors: row.errors.map(describeProblem),
    })),
    untouched: report.untouched,
  };
}

export function importRoutes(router: Router, ctx: AdminContext, deps: KnowledgeDeps): void {
  const { store, render, access } = ctx;
  const agent = access.requireRole('agent');

  router.get('/knowledge/import', agent, (_req, res) => {
    render.page(res, 'knowledge-import', {
      title: 'Impor dan ekspor',
      nav: 'knowledge',
      styles: ['knowledge.css'],
      scripts: ['knowledge-import.js'],
      columns: CSV_COLUMNS,
      publishes: reviewer(res),
    });
  });

  router.post('/knowledge/import', agent, async (req, res) => {
    const fail = (status: number, message: string) => {
      if (wantsJson(req)) return void res.status(status).json({ error: 'import', message });
      render.page(res, 'knowledge-import-report', { title: 'Impor', report: { ok: false, summary: message, rows: [], untouched: [], rowLabel: '' } }, status);
    };
    const file = await readFile(req, res);
    if ('error' in file) return fail(file.status, file.error);
    const parsed = rowsOf(file.name, file.text);
    if ('error' in parsed) return fail(400, parsed.error);
    const checkOnly = (req.body as Record<string, unknown> | undefined)?.check === '1';
    try {
      const report = await deps.editor.importEntries(userOf(res), parsed.rows, { dryRun: checkOnly });
      const view = reportView(report, { checkOnly, csv: parsed.csv });
      // JSON callers get 422 for a refused file; the page's fragment is a report either way.
      if (wantsJson(req)) return void res.status(view.ok ? 200 : 422).json({ ...report, summary: view.summary });
      render.page(res, 'knowledge-import-report', { title: 'Impor', report: view });
    } catch (error) {
      await refused(error, req, res, (status, message) => fail(status, message));
    }
  });

  const download = async (res: Response, extension: 'json' | 'csv') => {
    const entries = (await store.knowledge.published()).sort((a, b) => a.id.localeCompare(b.id));
    const { today } = await officeToday(store);
    res.set('Content-Disposition', `attachment; filename="basis-pengetahuan-${today}.${extension}"`);
    if (extension === 'csv') return void res.type('text/csv; charset=utf-8').send(entriesToCsv(entries));
    res.type('application/json; charset=utf-8').send(JSON.stringify({ format: 'siratu-knowledge', version: 1, exportedAt: new Date().toISOString(), entries }, null, 2));
  };
  router.get('/knowledge/export.json', agent, (_req, res) => download(res, 'json'));
  router.get('/knowledge/export.csv', agent, (_req, res) => download(res, 'csv'));
}
