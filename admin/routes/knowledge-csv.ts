/**
 * The knowledge base as a spreadsheet: one entry per row, the schema's
 * field names as the header, lists one item per line inside their cell
 * (Alt+Enter in Excel), special cases as "situasi | yang dilakukan" lines.
 * Required columns: id, title, document, summary, where, cost, processingTime,
 * legalBasis, lastReviewed; the others may be left out.
 *
 * Files are written the way Excel and LibreOffice open them without asking
 * (UTF-8 with a byte-order mark, CRLF, quotes around every cell) and read
 * back forgivingly: the BOM is ignored, and a semicolon delimiter, what
 * Excel writes on computers set to Indonesian, is recognised from the header.
 */
import type { ImportRow } from '../../bot/knowledge-editing.js';
import type { Entry } from '../../knowledge/schema.js';

export const CSV_COLUMNS = [
  'id', 'title', 'document', 'situations', 'summary', 'requirements', 'steps', 'where', 'cost',
  'processingTime', 'legalBasis', 'specialCases', 'phrases', 'related', 'lastReviewed', 'reviewIntervalDays',
] as const satisfies readonly (keyof Entry)[];

type Column = (typeof CSV_COLUMNS)[number];
const LIST_COLUMNS = new Set<Column>(['situations', 'requirements', 'steps', 'legalBasis', 'phrases', 'related']);
const CASE_SEPARATOR = ' | ';

const REQUIRED: Column[] = ['id', 'title', 'document', 'summary', 'where', 'cost', 'processingTime', 'legalBasis', 'lastReviewed'];

/**
 * Every cell quoted; a cell a spreadsheet would run as a formula (=, +, -, @: phrases can come
 * from citizens' messages) gets a leading apostrophe, which spreadsheets hide and import removes.
 */
const quote = (value: string) => `"${value.replace(/^[=+\-@]/u, "'$&").replace(/"/gu, '""')}"`;
const unguard = (value: string) => value.replace(/^'(?=[=+\-@])/u, '');

function cell(entry: Entry, column: Column): string {
  if (column === 'specialCases') return entry.specialCases.map((c) => `${c.when}${CASE_SEPARATOR}${c.then}`).join('\n');
  const value = entry[column];
  return Array.isArray(value) ? value.join('\n') : String(value);
}

export function entriesToCsv(entries: Entry[]): string {
  const lines = [CSV_COLUMNS.map(quote).join(','), ...entries.map((entry) => CSV_COLUMNS.map((column) => quote(cell(entry, column))).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** RFC 4180 records: quoted cells may hold the delimiter, quotes ("") and line breaks. */
export function parseCsv(text: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let value = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (char === '"') quoted = false;
      else value += char;
    } else if (char === '"' && value === '') quoted = true;
    else if (char === delimiter) {
      record.push(value);
      value = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      record.push(value);
      records.push(record);
      record = [];
      value = '';
    } else value += char;
  }
  if (value !== '' || record.length) records.push([...record, value]);
  return records;
}

/** A CSV file as import rows numbered like the spreadsheet (the header is row 1), or what is wrong with its header. */
export function csvToRows(text: string): { rows: ImportRow[] } | { error: string } {
  const body = text.replace(/^\uFEFF/u, '');
  const firstLine = body.slice(0, body.search(/\r?\n|$/u));
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const [header = [], ...records] = parseCsv(body, delimiter);
  const names = header.map((name) => name.trim());
  const unknown = names.filter((name) => name && !(CSV_COLUMNS as readonly string[]).includes(name));
  const missing = REQUIRED.filter((column) => !names.includes(column));
  if (unknown.length || missing.length) {
    return {
      error: [unknown.length ? `kolom tidak dikenal: ${unknown.join(', ')}` : '', missing.length ? `kolom wajib tidak ada: ${missing.join(', ')}` : ''].filter(Boolean).join('; ') + `. Baris pertama harus berisi nama kolom: ${CSV_COLUMNS.join(', ')}.`,
    };
  }
  const rows: ImportRow[] = [];
  records.forEach((record, index) => {
    if (record.every((value) => value.trim() === '')) return;
    const entry: Record<string, unknown> = {};
    names.forEach((name, column) => {
      if (!name) return;
      const raw = unguard((record[column] ?? '').replace(/\r\n?/gu, '\n').trim());
      if (name === 'specialCases') {
        entry.specialCases = raw.split('\n').filter((line) => line.trim()).map((line) => {
          const cut = line.indexOf('|');
          return cut < 0 ? { when: line.trim(), then: '' } : { when: line.slice(0, cut).trim(), then: line.slice(cut + 1).trim() };
        });
      } else if (LIST_COLUMNS.has(name as Column)) {
        const separator = name === 'situations' || name === 'related' ? /[\n,]/u : /\n/u;
        entry[name] = raw.split(separator).map((item) => item.trim()).filter(Boolean);
      } else if (name === 'reviewIntervalDays') {
        if (raw) entry[name] = /^\d+$/u.test(raw) ? Number(raw) : raw;
      } else if (raw) entry[name] = raw;
    });
    rows.push({ row: index + 2, entry });
  });
  return { rows };
}
