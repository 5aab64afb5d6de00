/**
 * Structured logs (pino). Every value that reaches a log line passes through
 * `maskForLog` first, so an NIK, KK or phone number never lands in a log
 * file (UU 27/2022): the message and its arguments, every field at any depth
 * (strings, numbers, keys, errors and their causes, Maps and Sets), and the
 * bindings of child loggers. tests/privacy.logs.test.ts runs whole citizen
 * conversations at level `trace` and finds no number in the output.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { maskPersonalData } from './personal-data.js';

export type { Logger };

/**
 * 16 digits however they are grouped, e.g. 727101 120890 0001 or 72.71.01.120890.0001 (an NIK's
 * region, birth date and serial), which maskPersonalData's 4-4-4-4 pattern does not expect.
 */
const ANY_ID_NUMBER = /(?<!\d)\d(?:[\s.\-/]?\d){15}(?!\d)/gu;
/** Phone numbers with brackets or doubled separators: (0812) 3456-7890, +62 (812) 3456 7890, 0812 - 3456 - 7890. */
const LOOSE_PHONE = /(?<!\d)(?:\+?62|0)[\s.\-()]{0,3}8(?:[\s.\-()]{0,3}\d){8,12}(?!\d)/gu;

/** A mobile number without its 0 or 62 (81234567890), as it ends up when a number is stored as a number. */
const BARE_MOBILE = /(?<![\d+])8[1-9]\d{7,10}(?!\d)/gu;

function maskText(text: string): string {
  return maskPersonalData(text)
    .replace(ANY_ID_NUMBER, (number) => {
      const digits = number.replace(/\D/gu, '');
      return `${digits.slice(0, 4)}********${digits.slice(-4)}`;
    })
    .replace(LOOSE_PHONE, (phone) => {
      const digits = phone.replace(/\D/gu, '');
      return `${digits.slice(0, 4)}****${digits.slice(-3)}`;
    })
    .replace(BARE_MOBILE, (phone) => `${phone.slice(0, 3)}****${phone.slice(-3)}`);
}

/**
 * maskPersonalData, plus the spellings only a log needs to be sure about: other groupings of
 * 16 digits, brackets, bare mobile numbers, and URL-encoded text (a query string ?hp=0812%203456…).
 * Masked forms keep the first and last digits.
 */
export function maskForLog(text: string): string {
  if (/%[0-9A-Fa-f]{2}/u.test(text)) {
    try {
      const decoded = decodeURIComponent(text.replace(/\+/gu, ' '));
      const masked = maskText(decoded);
      if (masked !== decoded) return masked;
    } catch {
      // Not URL-encoded after all: masked as it is below.
    }
  }
  return maskText(text);
}

const MAX_DEPTH = 6;

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskForLog(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    // A phone number or NIK stored as a number (6281234567890) is masked like the text would be.
    const text = String(value);
    const masked = maskForLog(text);
    return masked === text ? value : masked;
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (depth > MAX_DEPTH) {
    // Too deep to walk: the rest goes out as masked text rather than as it is.
    try {
      return maskForLog(JSON.stringify(value) ?? '');
    } catch {
      return '[Object]';
    }
  }
  if (value instanceof Error) {
    const cause = (value as { cause?: unknown }).cause;
    return {
      type: value.name,
      message: maskForLog(value.message),
      stack: value.stack && maskForLog(value.stack),
      ...(cause === undefined ? {} : { cause: maskDeep(cause, depth + 1) }),
    };
  }
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (value instanceof Map) return maskDeep(Object.fromEntries(value), depth + 1);
  if (value instanceof Set) return maskDeep([...value], depth + 1);
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return maskDeep(toJSON.call(value), depth + 1);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [maskForLog(key), maskDeep(item, depth + 1)]));
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { app: 'siratu' },
      formatters: {
        log: (object) => maskDeep(object) as Record<string, unknown>,
        bindings: (bindings) => maskDeep(bindings) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => maskDeep(arg)) as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
  // A child's fixed fields (log.child({ ... })) are written on every line of that child, and pino applies
  // formatters.bindings to the root's only: mask them on the way in. Children inherit this `child`.
  const child = logger.child;
  logger.child = function maskedChild(this: Logger, bindings: Record<string, unknown>, childOptions?: object) {
    return child.call(this, maskDeep(bindings) as Record<string, unknown>, childOptions);
  } as Logger['child'];
  return logger;
}
