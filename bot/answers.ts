/**
 * Turns a knowledge-base entry into the text a citizen reads. The checklist
 * comes first because that is what people came for; cost, time and place
 * follow, then the special cases that match the question.
 */
import type { Entry, OfficeProfile } from '../knowledge/schema.js';
import type { Aspect } from './nlu/understand.js';
import { fillOfficePlaceholders } from './office.js';
import { texts } from './texts.js';

const MONTHS = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember'];

export function formatDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-').map(Number);
  return `${day} ${MONTHS[month! - 1]} ${year}`;
}

function numbered(items: string[]): string {
  return items.map((item, index) => `${index + 1}. ${item}`).join('\n');
}

/** Special cases that share a word with the question come first. */
function relevantCases(entry: Entry, question: string): Entry['specialCases'] {
  const words = new Set(question.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 3));
  const overlap = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => words.has(word)).length;
  return [...entry.specialCases].sort((a, b) => overlap(b.when) - overlap(a.when)).slice(0, 3);
}

const ASPECT_LEAD: Partial<Record<Aspect, (entry: Entry) => string>> = {
  biaya: (entry) => `*Biaya ${entry.title}:* ${entry.cost}`,
  waktu: (entry) => `*Lama proses ${entry.title}:* ${entry.processingTime}`,
  lokasi: (entry) => `*Tempat mengurus ${entry.title}:* ${entry.where}`,
};

export interface AnswerOptions {
  aspect?: Aspect;
  /** The citizen's message, to put matching special cases first. */
  question?: string;
}

export function renderAnswer(entry: Entry, office: OfficeProfile, options: AnswerOptions = {}): string {
  const lead = options.aspect ? ASPECT_LEAD[options.aspect] : undefined;
  const parts: string[] = [];
  if (lead) parts.push(lead(entry));
  else parts.push(`*${entry.title}*\n${entry.summary}`);

  if (entry.requirements.length > 0) parts.push(`*Syarat yang perlu dibawa:*\n${numbered(entry.requirements)}`);
  if (!lead && entry.steps.length > 0) parts.push(`*Langkah:*\n${numbered(entry.steps)}`);
  const facts = [
    options.aspect !== 'lokasi' ? `*Tempat:* ${entry.where}` : undefined,
    options.aspect !== 'biaya' ? `*Biaya:* ${entry.cost}` : undefined,
    options.aspect !== 'waktu' ? `*Lama proses:* ${entry.processingTime}` : undefined,
  ].filter((line): line is string => line !== undefined);
  parts.push(facts.join('\n'));

  const cases = relevantCases(entry, options.question ?? '');
  if (cases.length > 0) parts.push(`*Perlu diperhatikan:*\n${cases.map((c) => `• ${c.when}: ${c.then}`).join('\n')}`);
  parts.push(`_Dasar hukum: ${entry.legalBasis.join('; ')}. Info diperbarui ${formatDate(entry.lastReviewed)}._`);
  parts.push(texts.menuHint);
  return fillOfficePlaceholders(parts.join('\n\n'), office);
}
