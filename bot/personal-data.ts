/**
 * Personal data in free text: phone numbers and 16-digit NIK/KK numbers.
 * Logs and the unanswered-questions list only ever see them masked
 * (UU 27/2022; the brief's privacy rule).
 */

/** 16 digits, possibly grouped with spaces, dots or dashes: an NIK or a KK number. */
const ID_NUMBER = /(?<!\d)(\d{4})[ .-]?(\d{4})[ .-]?(\d{4})[ .-]?(\d{4})(?!\d)/gu;
/** Indonesian phone numbers: 08…, +62 8…, 62 8…, with optional separators. */
const PHONE = /(?<![\d])(?:\+?62|0)[ .-]?8\d(?:[ .-]?\d){6,11}(?!\d)/gu;

/** Replaces NIK/KK numbers and phone numbers with masked forms (first and last digits kept). */
export function maskPersonalData(text: string): string {
  return text
    .replace(ID_NUMBER, (_, a: string, _b: string, _c: string, d: string) => `${a}********${d}`)
    .replace(PHONE, (phone) => {
      const digits = phone.replace(/\D/gu, '');
      return `${digits.slice(0, 4)}****${digits.slice(-3)}`;
    });
}

/** A phone number in the form 08xxxxxxxxx, or undefined when the text is not one. */
export function normalizePhone(text: string): string | undefined {
  const digits = text.replace(/[^\d+]/gu, '').replace(/^\+/u, '');
  const local = digits.startsWith('62') ? `0${digits.slice(2)}` : digits;
  return /^08\d{7,11}$/u.test(local) ? local : undefined;
}
