import { z } from 'zod';

// Postgres keeps UTC offsets up to ±15:59 and has no year 0000 (it is 1 BC): refusing
// the rest here keeps every accepted value storable and comparable, instead of a 500.
const MAX_OFFSET_MINUTES = 15 * 60 + 59;

function offsetMinutes(value: string): number {
  const match = /([+-])(\d{2}):?(\d{2})$/.exec(value);
  return match ? Number(match[2]) * 60 + Number(match[3]) : 0;
}

/** An ISO 8601 date-time with an offset, as a query bound (`from`, `to`). */
export const isoTimestamp = z.iso
  .datetime({ offset: true, error: 'an ISO 8601 date-time such as 2024-05-01T00:00:00Z' })
  .refine((value) => !value.startsWith('0000-'), { error: 'year 0000 does not exist' })
  .refine((value) => offsetMinutes(value) <= MAX_OFFSET_MINUTES, { error: 'a UTC offset is at most ±15:59' })
  // JSON Schema's `date-time` also admits a lowercase t, leap seconds and offsets up to ±23:59:
  // the pattern says what the server accepts (the format still checks the calendar).
  .meta({
    pattern: '^(?!0000-)[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:Z|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])$',
  });
