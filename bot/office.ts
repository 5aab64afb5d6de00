/**
 * The office profile at run time: placeholders in knowledge-base text, and
 * whether a human can answer right now (office hours in the office's own
 * time zone).
 */
import type { OfficeProfile } from '../knowledge/schema.js';

type Weekday = OfficeProfile['hours'][number]['days'][number];
const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_NAMES: Record<Weekday, string> = { mon: 'Senin', tue: 'Selasa', wed: 'Rabu', thu: 'Kamis', fri: 'Jumat', sat: 'Sabtu', sun: 'Minggu' };

/** Replaces `{{office.x}}` placeholders in knowledge-base text with the office's facts. */
export function fillOfficePlaceholders(text: string, office: OfficeProfile): string {
  const values: Record<string, string | undefined> = {
    name: office.name,
    shortName: office.shortName,
    region: office.region,
    address: office.address,
    hoursText: office.hoursText,
    phone: office.phones.map((phone) => `${phone.label}: ${phone.number}`).join(', ') || undefined,
    whatsapp: office.whatsapp,
    email: office.email,
    website: office.website,
    queueName: office.queue?.name,
    queueUrl: office.queue?.url,
    queueHowTo: office.queue?.howTo,
    servicePoints: office.servicePoints
      .map((point) => `• ${point.name}: ${point.address}${point.hoursText ? ` (${point.hoursText})` : ''}${point.services ? `. ${point.services}` : ''}`)
      .join('\n'),
  };
  return text.replace(/\{\{\s*office\.(\w+)\s*\}\}/gu, (_, key: string) => values[key] || `(tanyakan ke ${office.shortName})`);
}

/** Weekday and minutes since midnight of an instant, in the office's time zone. */
function localTime(office: OfficeProfile, at: Date): { day: Weekday; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: office.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

function toMinutes(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return hours! * 60 + minutes!;
}

/** Whether the office's helpdesk is staffed at this instant. */
export function isOfficeOpen(office: OfficeProfile, at: Date): boolean {
  const { day, minutes } = localTime(office, at);
  return office.hours.some((slot) => slot.days.includes(day) && minutes >= toMinutes(slot.open) && minutes < toMinutes(slot.close));
}

/** "hari ini pukul 08.00" / "besok (Senin) pukul 08.00": when the office opens next, in words. */
export function nextOpeningText(office: OfficeProfile, at: Date): string {
  const { day, minutes } = localTime(office, at);
  const today = WEEKDAYS.indexOf(day);
  for (let offset = 0; offset < 8; offset++) {
    const weekday = WEEKDAYS[(today + offset) % 7]!;
    const opens = office.hours
      .filter((slot) => slot.days.includes(weekday))
      .map((slot) => toMinutes(slot.open))
      .filter((open) => offset > 0 || open > minutes)
      .sort((a, b) => a - b)[0];
    if (opens === undefined) continue;
    const clock = `${String(Math.floor(opens / 60)).padStart(2, '0')}.${String(opens % 60).padStart(2, '0')}`;
    const when = offset === 0 ? 'hari ini' : offset === 1 ? `besok (${DAY_NAMES[weekday]})` : `hari ${DAY_NAMES[weekday]}`;
    return `${when} pukul ${clock}`;
  }
  return 'pada hari kerja berikutnya';
}
