/**
 * What the inbox shows, as plain data: rows of the conversation list,
 * messages, the contact card and tickets. Pure functions, no I/O: the
 * routes fetch, these decide what a given user may read.
 *
 * The one privacy rule (Helpdesk.mayReveal): supervisors, and the agent
 * who owns a conversation, see phone numbers and NIKs; everyone else sees
 * them masked, in the contact card, in the list preview and in every
 * message. Text stays text: templates escape it, the page scripts put it
 * in the DOM with textContent. `segments` only splits out *bold* and
 * _italic_ runs (the WhatsApp-style markup the bot and agents write) so
 * both can show them without ever treating text as HTML; what a citizen
 * typed is shown exactly as typed.
 */
import { complaintCategory, TICKET_CATEGORIES } from '../../bot/complaints.js';
import type { ConversationDetail, ConversationSummary } from '../../bot/helpdesk.js';
import { maskPersonalData, normalizePhone } from '../../bot/personal-data.js';
import type { Contact, Conversation, Message, Note, Ticket, TicketEvent, TicketStatus, User } from '../../bot/store/types.js';
import { TICKET_STATUSES } from '../../bot/store/types.js';
import type { Attachment, ChannelName } from '../../bot/types.js';

export const CHANNELS: Record<ChannelName, { label: string; short: string }> = {
  whatsapp: { label: 'WhatsApp', short: 'WA' },
  telegram: { label: 'Telegram', short: 'TG' },
  web: { label: 'Web chat', short: 'Web' },
};

/** Ticket statuses as agents read them (the citizen's wording is in bot/tickets.ts). */
export const STATUS_NAMES: Record<TicketStatus, string> = {
  baru: 'Baru',
  diproses: 'Diproses',
  menunggu_warga: 'Menunggu warga',
  selesai: 'Selesai',
  ditutup: 'Ditutup',
};

export const PRIORITIES: { value: Ticket['priority']; label: string }[] = [
  { value: 'rendah', label: 'Rendah' },
  { value: 'normal', label: 'Normal' },
  { value: 'tinggi', label: 'Tinggi' },
];

export const STATUS_OPTIONS = TICKET_STATUSES.map((value) => ({ value, label: STATUS_NAMES[value] }));
export const CATEGORY_OPTIONS = TICKET_CATEGORIES.map((category) => ({ value: category.id, label: category.label, confidential: category.confidential }));

export interface Viewer {
  user: User;
  /** May this viewer see phone numbers and NIKs in this conversation? */
  reveal: boolean;
  /** Names of staff by id (owners, authors of notes and replies). */
  names: Map<string, string>;
  timeZone: string;
  now: Date;
}

// ---- text --------------------------------------------------------------------------------------

export interface Segment {
  text: string;
  bold?: boolean;
  italic?: boolean;
}

/** Splits *bold* and _italic_ runs out of a line-preserving text; everything else is plain. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  const pattern = /(?<![\p{L}\p{N}*])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_([^_\s](?:[^_\n]*[^_\s])?)_(?![\p{L}\p{N}_])/gu;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push({ text: text.slice(last, match.index) });
    if (match[1] !== undefined) out.push({ text: match[1], bold: true });
    else out.push({ text: match[2]!, italic: true });
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

const masked = (text: string, reveal: boolean) => (reveal ? text : maskPersonalData(text));

/**
 * One line, markup removed, personal data masked unless revealed, at most
 * `max` characters. Masking comes after removing the markup (masks are
 * made of asterisks) and before cutting (half a NIK is still personal data).
 */
export function previewText(text: string, reveal: boolean, max = 140, markup = true): string {
  const flat = (markup ? segments(text).map((segment) => segment.text).join('') : text)
    .replace(/\s+/gu, ' ')
    .trim();
  const shown = masked(flat, reveal);
  return shown.length > max ? `${shown.slice(0, max - 1)}…` : shown;
}

/**
 * Markup split out first, then each run masked: the asterisks of a mask never read as bold.
 * `markup: false` for what citizens type: shown exactly as written.
 */
export function maskedSegments(text: string, reveal: boolean, markup = true): Segment[] {
  return (markup ? segments(text) : [{ text }]).map((segment) => ({ ...segment, text: masked(segment.text, reveal) }));
}

// ---- time --------------------------------------------------------------------------------------

const dayKey = (date: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);

/** "14.05" today, "Kemarin" (with the time in the title), "22 Nov", "22 Nov 2025". */
export function shortTime(value: Date | null | undefined, timeZone: string, now: Date): string {
  if (!value) return '';
  if (dayKey(value, timeZone) === dayKey(now, timeZone)) return clock(value, timeZone);
  if (dayKey(value, timeZone) === dayKey(new Date(now.getTime() - 86_400_000), timeZone)) return 'Kemarin';
  const sameYear = new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(value) === new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(now);
  return new Intl.DateTimeFormat('id-ID', { timeZone, day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) }).format(value);
}

export function clock(value: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('id-ID', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(value);
}

/** "22 Nov 2026 14.05 WITA" */
export function fullTime(value: Date | null | undefined, timeZone: string): string {
  if (!value) return '';
  return new Intl.DateTimeFormat('id-ID', { timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(value);
}

/** "3 mnt", "1 jam 20 mnt", "2 hari" */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} mnt`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} jam ${minutes % 60} mnt` : `${hours} jam`;
  return `${Math.floor(hours / 24)} hari`;
}

// ---- people ------------------------------------------------------------------------------------

/** The citizen's phone number: the one they gave, or their WhatsApp number. */
export function phoneOf(contact: Contact): string | undefined {
  if (contact.phone) return normalizePhone(contact.phone) ?? contact.phone;
  if (contact.channel === 'whatsapp') {
    const digits = contact.externalId.split('@')[0]!.split(':')[0]!;
    return normalizePhone(digits);
  }
  return undefined;
}

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/gu, '');
  return digits.length >= 8 ? `${digits.slice(0, 4)}****${digits.slice(-3)}` : '****';
}

/** A 16-digit NIK the citizen wrote in the chat, latest first. */
export function nikIn(messages: Message[]): string | undefined {
  for (const message of [...messages].reverse()) {
    if (message.direction !== 'in') continue;
    const match = /(?<!\d)(\d{4})[ .-]?(\d{4})[ .-]?(\d{4})[ .-]?(\d{4})(?!\d)/u.exec(message.text);
    if (match) return match.slice(1, 5).join('');
  }
  return undefined;
}

const maskNik = (nik: string) => `${nik.slice(0, 4)}********${nik.slice(-4)}`;

export function contactName(contact: Contact, reveal: boolean): string {
  const name = contact.name?.trim();
  if (name) return masked(name, reveal);
  const phone = phoneOf(contact);
  if (phone) return reveal ? phone : maskPhone(phone);
  const tail = contact.id.slice(-4).toUpperCase();
  return contact.channel === 'web' ? `Warga web #${tail}` : `Warga ${CHANNELS[contact.channel].label} #${tail}`;
}

export function staffName(names: Map<string, string>, id: string | null | undefined): string {
  if (!id) return '';
  return names.get(id) ?? 'petugas lain';
}

// ---- conversations -----------------------------------------------------------------------------

export interface StateView {
  state: Conversation['state'];
  label: string;
  tone: 'bot' | 'wait' | 'mine' | 'agent' | 'closed';
  owner: string;
  mine: boolean;
}

export function stateView(conversation: Conversation, viewer: Pick<Viewer, 'user' | 'names' | 'now'>): StateView {
  const owner = staffName(viewer.names, conversation.assigneeId);
  const mine = conversation.assigneeId === viewer.user.id;
  switch (conversation.state) {
    case 'waiting': {
      const since = conversation.handoffRequestedAt ?? conversation.updatedAt;
      return { state: 'waiting', label: `Menunggu petugas · ${duration(viewer.now.getTime() - since.getTime())}`, tone: 'wait', owner, mine };
    }
    case 'agent':
      return { state: 'agent', label: mine ? 'Anda tangani' : `Ditangani ${owner}`, tone: mine ? 'mine' : 'agent', owner, mine };
    case 'closed':
      return { state: 'closed', label: owner ? `Selesai · ${owner}` : 'Selesai', tone: 'closed', owner, mine };
    default:
      return { state: 'bot', label: 'Dilayani bot', tone: 'bot', owner, mine };
  }
}

export interface TicketChip {
  id: string;
  number: string;
  status: TicketStatus;
  statusLabel: string;
}

const chip = (ticket: Ticket): TicketChip => ({ id: ticket.id, number: ticket.number, status: ticket.status, statusLabel: STATUS_NAMES[ticket.status] });

export interface RowView {
  id: string;
  href: string;
  channel: ChannelName;
  channelLabel: string;
  channelShort: string;
  name: string;
  preview: string;
  previewWho: string;
  time: string;
  timeTitle: string;
  state: StateView;
  labels: string[];
  tickets: TicketChip[];
  unread: number;
  /** Holds a confidential report the viewer may not read: no preview. */
  restricted: boolean;
}

export function authorLabel(message: Pick<Message, 'author' | 'authorId'>, names: Map<string, string>): string {
  switch (message.author) {
    case 'citizen':
      return 'Warga';
    case 'bot':
      return 'Bot';
    case 'agent':
      return names.get(message.authorId ?? '') ? `Petugas ${names.get(message.authorId!)}` : 'Petugas';
    default:
      return 'Sistem';
  }
}

export function rowView(summary: ConversationSummary, viewer: Omit<Viewer, 'reveal'> & { mayReveal: (c: Conversation) => boolean; restricted?: boolean; base: string }): RowView {
  const { conversation, contact, lastMessage } = summary;
  const reveal = viewer.mayReveal(conversation);
  const channel = CHANNELS[conversation.channel];
  const restricted = viewer.restricted ?? false;
  let preview = '';
  if (restricted) preview = 'Berisi laporan rahasia (pungli/calo): hanya supervisor yang dapat membaca.';
  else if (lastMessage) preview = previewText(lastMessage.text, reveal, 140, lastMessage.author !== 'citizen') || attachmentSummary(lastMessage.attachments) || '(pesan tanpa teks)';
  const when = lastMessage?.createdAt ?? conversation.lastMessageAt;
  return {
    id: conversation.id,
    href: `${viewer.base}/inbox/c/${conversation.id}`,
    channel: conversation.channel,
    channelLabel: channel.label,
    channelShort: channel.short,
    name: contactName(contact, reveal),
    preview,
    previewWho: lastMessage && !restricted ? authorLabel(lastMessage, viewer.names) : '',
    time: shortTime(when, viewer.timeZone, viewer.now),
    timeTitle: fullTime(when, viewer.timeZone),
    state: stateView(conversation, viewer),
    labels: conversation.labels ?? [],
    tickets: summary.tickets.map(chip),
    unread: summary.unread,
    restricted,
  };
}

function attachmentSummary(attachments: Attachment[] | undefined): string {
  if (!attachments?.length) return '';
  return attachments.length === 1 ? `Lampiran: ${attachments[0]!.fileName ?? 'berkas'}` : `${attachments.length} lampiran`;
}

// ---- messages ----------------------------------------------------------------------------------

export interface AttachmentView {
  url: string;
  name: string;
  image: boolean;
  size: string;
}

export function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} MB`;
}

export function attachmentViews(attachments: Attachment[] | undefined, fileBase: string): AttachmentView[] {
  return (attachments ?? []).map((attachment) => ({
    url: `${fileBase}/${encodeURIComponent(attachment.key)}`,
    name: attachment.fileName ?? (attachment.kind === 'image' ? 'foto' : 'berkas'),
    image: attachment.kind === 'image' && /^image\/(jpeg|png|webp|gif)$/u.test(attachment.mimeType ?? ''),
    size: sizeText(attachment.size),
  }));
}

const UNREADABLE: Record<string, string> = {
  voice: 'Pesan suara (tidak bisa diputar di sini)',
  video: 'Video (tidak disimpan)',
  location: 'Lokasi',
  sticker: 'Stiker',
  contact: 'Kartu kontak',
  fileType: 'Berkas dengan jenis yang tidak diterima',
  fileTooLarge: 'Berkas terlalu besar',
  downloadFailed: 'Berkas gagal diunduh',
  other: 'Pesan yang tidak bisa dibaca',
};

export interface MessageView {
  id: string;
  side: 'citizen' | 'bot' | 'agent' | 'system';
  who: string;
  text: string;
  segments: Segment[];
  time: string;
  timeTitle: string;
  attachments: AttachmentView[];
  /** The choices a bot message offered, as the citizen saw them. */
  options: string[];
  /** Extra facts in small print: "terlambat diterima", "gagal terkirim". */
  flags: { text: string; bad?: boolean }[];
}

export function messageView(message: Message, viewer: Pick<Viewer, 'reveal' | 'names' | 'timeZone' | 'now'>, fileBase: string, citizenName: string): MessageView {
  const parts = maskedSegments(message.text, viewer.reveal, message.author !== 'citizen');
  const text = parts.map((part) => part.text).join('');
  const flags: MessageView['flags'] = [];
  if (message.unreadable) flags.push({ text: UNREADABLE[message.unreadable] ?? UNREADABLE.other! });
  if (message.late) flags.push({ text: 'Terlambat diterima (dikirim saat saluran terputus)' });
  if (message.delivery?.status === 'failed') flags.push({ text: 'Gagal terkirim ke warga', bad: true });
  else if (message.delivery?.status === 'pending') flags.push({ text: 'Sedang dikirim…' });
  const side = message.author === 'citizen' ? 'citizen' : message.author;
  return {
    id: message.id,
    side,
    who: message.author === 'citizen' ? citizenName : authorLabel(message, viewer.names),
    text,
    segments: parts,
    time: shortTime(message.createdAt, viewer.timeZone, viewer.now) === clock(message.createdAt, viewer.timeZone)
      ? clock(message.createdAt, viewer.timeZone)
      : `${shortTime(message.createdAt, viewer.timeZone, viewer.now)} ${clock(message.createdAt, viewer.timeZone)}`,
    timeTitle: fullTime(message.createdAt, viewer.timeZone),
    attachments: attachmentViews(message.attachments, fileBase),
    options: (message.options ?? []).map((option, index) => `${index + 1}. ${option.label}`),
    flags,
  };
}

export interface NoteView {
  id: string;
  author: string;
  time: string;
  text: string;
}

export function noteView(note: Note, viewer: Pick<Viewer, 'names' | 'timeZone'>): NoteView {
  return { id: note.id, author: staffName(viewer.names, note.authorId) || 'petugas', time: fullTime(note.createdAt, viewer.timeZone), text: note.text };
}

// ---- tickets -----------------------------------------------------------------------------------

export interface TicketView {
  id: string;
  number: string;
  status: TicketStatus;
  statusLabel: string;
  priority: Ticket['priority'];
  priorityLabel: string;
  category: string;
  categoryLabel: string;
  confidential: boolean;
  kecamatan: string;
  kelurahan: string;
  assigneeId: string;
  assignee: string;
  due: string;
  overdue: boolean;
  escalated: boolean;
  description: string;
  reporterName: string;
  reporterPhone: string;
  created: string;
  attachments: AttachmentView[];
  events: { time: string; who: string; what: string; note: string }[];
}

function actorName(actor: string, names: Map<string, string>): string {
  if (actor === 'citizen') return 'Warga';
  if (actor === 'bot') return 'Bot';
  if (actor === 'system') return 'Sistem';
  return names.get(actor) ?? 'Petugas';
}

function eventText(event: TicketEvent, names: Map<string, string>): string {
  switch (event.type) {
    case 'created':
      return 'Tiket dibuat';
    case 'status':
      return event.from && event.to ? `Status ${STATUS_NAMES[event.from as TicketStatus] ?? event.from} → ${STATUS_NAMES[event.to as TicketStatus] ?? event.to}` : `Status ${STATUS_NAMES[event.to as TicketStatus] ?? event.to ?? ''}`.trim();
    case 'assigned':
      return event.to ? `Ditugaskan ke ${names.get(event.to) ?? 'petugas'}` : 'Penugasan diubah';
    case 'note':
      return 'Catatan';
    case 'attachment':
      return 'Lampiran ditambahkan';
    default:
      return 'Diperbarui';
  }
}

export function ticketView(ticket: Ticket, viewer: Pick<Viewer, 'reveal' | 'names' | 'timeZone' | 'now'>, fileBase: string): TicketView {
  const category = complaintCategory(ticket.category);
  const open = ticket.status !== 'selesai' && ticket.status !== 'ditutup';
  return {
    id: ticket.id,
    number: ticket.number,
    status: ticket.status,
    statusLabel: STATUS_NAMES[ticket.status],
    priority: ticket.priority,
    priorityLabel: PRIORITIES.find((p) => p.value === ticket.priority)?.label ?? ticket.priority,
    category: ticket.category,
    categoryLabel: category?.label ?? ticket.category,
    confidential: Boolean(category?.confidential),
    kecamatan: ticket.kecamatan ?? '',
    kelurahan: ticket.kelurahan ?? '',
    assigneeId: ticket.assigneeId ?? '',
    assignee: staffName(viewer.names, ticket.assigneeId),
    due: ticket.dueAt ? fullTime(ticket.dueAt, viewer.timeZone) : '',
    overdue: Boolean(open && ticket.dueAt && ticket.dueAt.getTime() < viewer.now.getTime()),
    escalated: Boolean(ticket.escalatedAt),
    description: masked(ticket.description, viewer.reveal),
    reporterName: ticket.reporterName ? masked(ticket.reporterName, viewer.reveal) : '',
    reporterPhone: ticket.reporterPhone ? (viewer.reveal ? ticket.reporterPhone : maskPhone(ticket.reporterPhone)) : '',
    created: fullTime(ticket.createdAt, viewer.timeZone),
    attachments: attachmentViews(ticket.attachments, fileBase),
    events: [...ticket.events].reverse().map((event) => ({
      time: fullTime(event.at, viewer.timeZone),
      who: actorName(event.actor, viewer.names),
      what: eventText(event, viewer.names),
      note: event.note ? masked(event.note, viewer.reveal) : '',
    })),
  };
}

// ---- the contact card --------------------------------------------------------------------------

export interface ContactView {
  name: string;
  channel: string;
  phone: string;
  nik: string;
  revealed: boolean;
  since: string;
}

export function contactView(detail: Pick<ConversationDetail, 'contact' | 'messages'>, viewer: Pick<Viewer, 'reveal' | 'timeZone'>): ContactView {
  const { contact } = detail;
  const phone = phoneOf(contact);
  const nik = nikIn(detail.messages);
  return {
    name: contactName(contact, viewer.reveal),
    channel: CHANNELS[contact.channel].label,
    phone: phone ? (viewer.reveal ? phone : maskPhone(phone)) : '',
    nik: nik ? (viewer.reveal ? nik : maskNik(nik)) : '',
    revealed: viewer.reveal,
    since: fullTime(contact.createdAt, viewer.timeZone),
  };
}
