import { z } from 'zod';

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
  .transform((raw, ctx) => {
    try {
      return position.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a cursor from this API' });
      return z.NEVER;
    }
  });

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
