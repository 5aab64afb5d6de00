/**
 * Structured logs (pino). Every string that reaches a log line, in the
 * message or in any field, passes through `maskPersonalData` first, so an
 * NIK, KK or phone number never lands in a log file.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { maskPersonalData } from './personal-data.js';

export type { Logger };

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonalData(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: maskPersonalData(value.message), stack: value.stack && maskPersonalData(value.stack) };
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  if (value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item, depth + 1)]));
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'siratu' },
      formatters: { log: (object) => maskDeep(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => maskDeep(arg)) as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
