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
  conceptsSchema,
  entrySchema,
  officeSchema,
  slangSchema,
  type Concepts,
  type Entry,
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
