/**
 * Reads the knowledge base shipped with the repository: one YAML file per
 * entry in knowledge/entries/ and one office profile in knowledge/office/.
 * These files seed the store on first start; after that the store is the
 * source of truth (admins edit it live).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  calendarFileSchema,
  conceptsSchema,
  entrySchema,
  officeSchema,
  slangSchema,
  type CalendarFile,
  type Concepts,
  type Entry,
  type Holiday,
  type OfficeProfile,
  type Slang,
} from './schema.js';

export const knowledgeDir = dirname(fileURLToPath(import.meta.url));

/** A data file that does not match the schema: says which file and which field. */
export class KnowledgeFileError extends Error {}

function readYaml(file: string): unknown {
  try {
    return parse(readFileSync(file, 'utf8'), { uniqueKeys: true });
  } catch (error) {
    throw new KnowledgeFileError(`${file}: bukan YAML yang valid (${(error as Error).message})`);
  }
}

function describeIssues(file: string, issues: { path: PropertyKey[]; message: string }[]): string {
  return `${file}: ` + issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}

export function loadEntries(dir = join(knowledgeDir, 'entries')): Entry[] {
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const parsed = entrySchema.safeParse(readYaml(file));
      if (!parsed.success) throw new KnowledgeFileError(describeIssues(file, parsed.error.issues));
      if (`${parsed.data.id}.yaml` !== name) throw new KnowledgeFileError(`${file}: nama file harus ${parsed.data.id}.yaml`);
      return parsed.data;
    });
  const ids = new Set(entries.map((entry) => entry.id));
  for (const entry of entries) {
    for (const related of entry.related) {
      if (!ids.has(related)) throw new KnowledgeFileError(`${entry.id}: related menyebut entri yang tidak ada: ${related}`);
    }
  }
  return entries;
}

export function loadOffice(profile = 'palu', dir = join(knowledgeDir, 'office')): OfficeProfile {
  const file = join(dir, `${profile}.yaml`);
  const parsed = officeSchema.safeParse(readYaml(file));
  if (!parsed.success) throw new KnowledgeFileError(describeIssues(file, parsed.error.issues));
  return parsed.data;
}

/** The language resources of the NLU: slang → standard words, and the concept patterns. */
export interface Language {
  slang: Slang;
  concepts: Concepts;
}

export function loadLanguage(dir = join(knowledgeDir, 'language')): Language {
  const slangFile = join(dir, 'slang.yaml');
  const conceptsFile = join(dir, 'concepts.yaml');
  const slang = slangSchema.safeParse(readYaml(slangFile));
  if (!slang.success) throw new KnowledgeFileError(describeIssues(slangFile, slang.error.issues));
  const concepts = conceptsSchema.safeParse(readYaml(conceptsFile));
  if (!concepts.success) throw new KnowledgeFileError(describeIssues(conceptsFile, concepts.error.issues));
  return { slang: slang.data, concepts: concepts.data };
}

/** The days off the working-day calendar skips, and the years whose national file was loaded. */
export interface HolidayData {
  /** Years with a national file: dates in other years have no holiday data (only weekends count). */
  years: number[];
  /** Sorted by date; a date listed by both the national and the office file appears once (the national entry). */
  holidays: Holiday[];
}

/** Reads and validates one yearly calendar file; its name must end in its year (`id-2026.yaml`). */
export function loadCalendarFile(file: string): CalendarFile {
  const parsed = calendarFileSchema.safeParse(readYaml(file));
  if (!parsed.success) throw new KnowledgeFileError(describeIssues(file, parsed.error.issues));
  if (!file.endsWith(`-${parsed.data.year}.yaml`)) throw new KnowledgeFileError(`${file}: nama file harus diakhiri -${parsed.data.year}.yaml`);
  return parsed.data;
}

/**
 * The holiday calendar in knowledge/calendar/: every national file
 * (`id-YYYY.yaml`: libur nasional and cuti bersama from the year's SKB) and,
 * with `office`, that office's regional holidays (`<office>-YYYY.yaml`).
 */
export function loadHolidays(options: { office?: string; dir?: string } = {}): HolidayData {
  const dir = options.dir ?? join(knowledgeDir, 'calendar');
  const names = readdirSync(dir).filter((name) => /-\d{4}\.yaml$/u.test(name)).sort();
  const national = names.filter((name) => name.startsWith('id-')).map((name) => loadCalendarFile(join(dir, name)));
  const regional = options.office && options.office !== 'id'
    ? names.filter((name) => name.startsWith(`${options.office}-`) && /^\d{4}\.yaml$/u.test(name.slice(options.office!.length + 1))).map((name) => loadCalendarFile(join(dir, name)))
    : [];
  const byDate = new Map<string, Holiday>();
  for (const file of [...national, ...regional]) {
    for (const holiday of file.holidays) if (!byDate.has(holiday.date)) byDate.set(holiday.date, holiday);
  }
  return {
    years: national.map((file) => file.year).sort((a, b) => a - b),
    holidays: [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date)),
  };
}
