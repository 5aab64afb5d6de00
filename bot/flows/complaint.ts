/**
 * Complaint intake: category, what happened, where, optional name and phone,
 * confirmation, then a ticket with a tracking number. Steps the citizen
 * already answered in their first message are skipped ("petugas minta uang
 * 50rb waktu urus KTP" gives both the category and the story).
 */
import type { OfficeProfile } from '../../knowledge/schema.js';
import { COMPLAINT_CATEGORIES, complaintCategory } from '../complaints.js';
import type { TurnContext } from '../context.js';
import { normalizePhone } from '../personal-data.js';
import type { Attachment, ReplyOption } from '../types.js';
import { readChoice, type Menu } from '../menu.js';
import { texts } from '../texts.js';

export const COMPLAINT_FLOW = 'complaint';

type Step = 'category' | 'description' | 'location' | 'name' | 'phone' | 'confirm';

interface Intake {
  category?: string;
  description?: string;
  /** Undefined = not asked yet; null = skipped. */
  kecamatan?: string | null;
  kelurahan?: string | null;
  name?: string | null;
  phone?: string | null;
  attachments: Attachment[];
}

const SKIP = new Set(['lewati', 'lewat', 'skip', 'tidak', 'tidak ada', 'gak', 'ga', 'nggak', 'enggak', '-', 'tdk', 'no', 'kosong']);
const YES = new Set(['ya', 'iya', 'y', 'yes', 'ok', 'oke', 'kirim', 'benar', 'betul', 'setuju', 'lanjut', 'ya kirim', 'iya kirim', 'sudah benar']);

const categoryMenu: Menu = {
  id: 'complaint-category',
  title: 'Kategori pengaduan',
  items: COMPLAINT_CATEGORIES.map((category) => ({ label: category.label, action: { type: 'complaint' } })),
};

const clean = (text: string) => text.trim().toLowerCase().replace(/[.!]+$/u, '');

function nextStep(intake: Intake): Step {
  if (!intake.category) return 'category';
  if (!intake.description) return 'description';
  if (intake.kecamatan === undefined) return 'location';
  if (intake.name === undefined) return 'name';
  if (intake.phone === undefined) return 'phone';
  return 'confirm';
}

function locationOptions(office: OfficeProfile): ReplyOption[] {
  return [...office.kecamatan.map((k) => ({ label: k.name, value: k.name })), { label: 'Lewati', value: texts.complaint.skip }];
}

/** Finds a kelurahan or kecamatan of the office's region named in the text (the longest name wins). */
function findPlace(office: OfficeProfile, text: string): { kecamatan: string; kelurahan: string | null } | undefined {
  const haystack = ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  let best: { kecamatan: string; kelurahan: string | null; length: number } | undefined;
  for (const kecamatan of office.kecamatan) {
    for (const [name, kelurahan] of [[kecamatan.name, null] as const, ...kecamatan.kelurahan.map((k) => [k, k] as const)]) {
      if (haystack.includes(` ${name.toLowerCase()} `) && name.length > (best?.length ?? 0)) best = { kecamatan: kecamatan.name, kelurahan, length: name.length };
    }
  }
  return best && { kecamatan: best.kecamatan, kelurahan: best.kelurahan };
}

function summary(intake: Intake): string {
  const lines = [
    `• Kategori: ${complaintCategory(intake.category)?.label ?? intake.category}`,
    `• Kejadian: ${intake.description}`,
    `• Lokasi: ${[intake.kelurahan, intake.kecamatan].filter(Boolean).join(', ') || '-'}`,
    `• Nama: ${intake.name || '-'}`,
    `• No. HP: ${intake.phone || '-'}`,
  ];
  if (intake.attachments.length > 0) lines.push(`• Lampiran: ${intake.attachments.length} berkas`);
  return lines.join('\n');
}

function ask(ctx: TurnContext, intake: Intake, lead?: string): void {
  const step = nextStep(intake);
  const prefix = lead ? `${lead}\n\n` : '';
  switch (step) {
    case 'category':
      ctx.reply('complaint', prefix + texts.complaint.askCategory, { options: COMPLAINT_CATEGORIES.map((c, i) => ({ label: `${i + 1}. ${c.label}`, value: c.label })) });
      break;
    case 'description':
      ctx.reply('complaint', prefix + texts.complaint.askDescription);
      break;
    case 'location':
      ctx.reply('complaint', prefix + texts.complaint.askLocation, { options: locationOptions(ctx.office) });
      break;
    case 'name':
      ctx.reply('complaint', prefix + texts.complaint.askName, { options: [{ label: 'Lewati', value: texts.complaint.skip }] });
      break;
    case 'phone':
      ctx.reply('complaint', prefix + texts.complaint.askPhone, { options: [{ label: 'Lewati', value: texts.complaint.skip }] });
      break;
    case 'confirm':
      ctx.reply('complaint', prefix + texts.complaint.confirm(summary(intake)), { options: [{ label: 'Ya, kirim', value: 'ya' }, { label: 'Batal', value: 'batal' }] });
      break;
  }
  ctx.setFlow({ name: COMPLAINT_FLOW, step, data: { ...intake } });
}

/** Starts the intake; `category` and `story` come from the citizen's first message when it already says them. */
export function startComplaint(ctx: TurnContext, seed: { category?: string; story?: string }): void {
  const intake: Intake = { category: seed.category, description: seed.story, attachments: [...(ctx.message.attachments ?? [])] };
  ask(ctx, intake, texts.complaint.intro);
}

export async function continueComplaint(ctx: TurnContext): Promise<void> {
  const flow = ctx.flow!;
  const intake = { attachments: [], ...flow.data } as Intake;
  const incoming = ctx.message.attachments ?? [];
  intake.attachments = [...intake.attachments, ...incoming];
  const text = ctx.text.trim();
  const answer = clean(text);

  switch (flow.step as Step) {
    case 'category': {
      const choice = readChoice(categoryMenu, text);
      const byNumber = typeof choice === 'number' ? COMPLAINT_CATEGORIES[choice - 1] : undefined;
      const byWords = complaintCategory(ctx.understand().complaintCategory);
      const category = byNumber ?? byWords;
      if (!category) {
        ask(ctx, intake, texts.unknownChoice(COMPLAINT_CATEGORIES.length));
        return;
      }
      intake.category = category.id;
      // A long answer here is already the story.
      if (!byNumber && text.split(/\s+/u).length >= 6) intake.description = text;
      break;
    }
    case 'description':
      if (!text && incoming.length > 0) {
        ctx.reply('complaint', texts.complaint.attachmentSaved(intake.attachments.length));
        ctx.setFlow({ ...flow, data: { ...intake } });
        return;
      }
      if (text.length < 10) {
        ctx.reply('complaint', texts.complaint.descriptionTooShort);
        ctx.setFlow({ ...flow, data: { ...intake } });
        return;
      }
      intake.description = text;
      break;
    case 'location': {
      if (SKIP.has(answer)) {
        intake.kecamatan = null;
        intake.kelurahan = null;
        break;
      }
      const place = findPlace(ctx.office, text);
      if (!place) {
        ctx.reply('complaint', texts.complaint.locationUnknown(ctx.office.region), { options: locationOptions(ctx.office) });
        ctx.setFlow({ ...flow, data: { ...intake } });
        return;
      }
      intake.kecamatan = place.kecamatan;
      intake.kelurahan = place.kelurahan;
      break;
    }
    case 'name':
      intake.name = SKIP.has(answer) ? null : text.slice(0, 100);
      break;
    case 'phone': {
      if (SKIP.has(answer)) {
        intake.phone = null;
        break;
      }
      const phone = normalizePhone(text);
      if (!phone) {
        ctx.reply('complaint', texts.complaint.phoneInvalid, { options: [{ label: 'Lewati', value: texts.complaint.skip }] });
        ctx.setFlow({ ...flow, data: { ...intake } });
        return;
      }
      intake.phone = phone;
      break;
    }
    case 'confirm':
      if (YES.has(answer)) {
        await file(ctx, intake);
        return;
      }
      if (incoming.length > 0 && !text) break;
      ctx.reply('complaint', texts.complaint.confirmAgain, { options: [{ label: 'Ya, kirim', value: 'ya' }, { label: 'Batal', value: 'batal' }] });
      ctx.setFlow({ ...flow, data: { ...intake } });
      return;
  }
  ask(ctx, intake);
}

async function file(ctx: TurnContext, intake: Intake): Promise<void> {
  const ticket = await ctx.tickets.create({
    contactId: ctx.contact.id,
    conversationId: ctx.conversation.id,
    channel: ctx.conversation.channel,
    category: intake.category!,
    description: intake.description!,
    kecamatan: intake.kecamatan ?? undefined,
    kelurahan: intake.kelurahan ?? undefined,
    reporterName: intake.name ?? undefined,
    reporterPhone: intake.phone ?? undefined,
    attachments: intake.attachments,
    sourceMessageId: ctx.message.id,
    createdAt: ctx.now,
  });
  if (intake.name || intake.phone) {
    await ctx.store.contacts.update(ctx.contact.id, { ...(intake.name ? { name: intake.name } : {}), ...(intake.phone ? { phone: intake.phone } : {}) });
  }
  ctx.reply('complaint', texts.complaint.filed(ticket.number, complaintCategory(ticket.category)?.confidential ?? false));
  ctx.setFlow(null);
  ctx.remember({ lastTicketId: ticket.id });
}
