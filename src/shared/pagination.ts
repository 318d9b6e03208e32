import { z } from 'zod';
import { isoTimestamp } from './timestamp.ts';

/**
 * Keyset pagination (SPEC §3 lists): a cursor is the opaque, base64url-encoded position
 * of the last item of the previous page, so pages stay stable while rows are inserted.
 */
export const limitSchema = z.coerce.number().int().min(1).max(200).default(50);

const position = z.tuple([z.string().max(64), z.string().max(64)]);

export type CursorPosition = z.infer<typeof position>;

export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

/** A zod schema for a `cursor` query parameter: decodes to [sortKey, id] or fails validation. */
export const cursorSchema = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor from this API')
  // What the pattern cannot say: only a cursor this API made decodes to a position.
  .meta({ description: 'opaque: the `nextCursor` of the previous page; any other value is 400 VALIDATION_FAILED' })
  .transform((raw, ctx) => {
    try {
      return position.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a cursor from this API' });
      return z.NEVER;
    }
  });

// `created_at::text` as Postgres prints it (DateStyle ISO): "2031-03-01 12:00:00.123456+00".
const PG_TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-]\d{2})(?::(\d{2}))?$/;

function storableInstant(value: string): boolean {
  const match = PG_TIMESTAMPTZ.exec(value);
  return match !== null && isoTimestamp.safeParse(`${match[1]}T${match[2]}${match[3]}:${match[4] ?? '00'}`).success;
}

/**
 * The position of a list ordered by (created_at, id) that pages on `created_at::text`:
 * checked here, so a forged cursor is a 400 and never reaches Postgres as a bad timestamp.
 */
export const createdAtPosition = z.tuple([z.string().refine(storableInstant, 'not a cursor from this API'), z.uuid()]);

/** The shape of every keyset-paginated list (SPEC §3 lists): `{items, nextCursor}`. */
export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last page' }),
  });
}

/** The page of `limit` items from `limit + 1` fetched rows, with the cursor of the next page. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  positionOf: (row: Row) => CursorPosition,
): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor(...positionOf(last)) : null,
  };
}
