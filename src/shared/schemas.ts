import { z } from 'zod';
import { asciiId } from './text.ts';

/**
 * The zod primitives several modules' request and response schemas share; a module's
 * own shapes stay in its schemas.ts. Lists page with src/shared/pagination.ts.
 */

// Printable ASCII only: ids and seeds end up in HMAC messages and logs (SPEC §5).
const printable = /^[\x20-\x7E]+$/;

/** The operator's own id of a player (a decision of the README: printable ASCII, 1–128 characters). */
export const playerIdSchema = asciiId(128);
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR');
export const jurisdictionSchema = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as MT');
export const clientSeedSchema = z.string().min(1).max(64).regex(printable, '1–64 printable characters');

/** SPEC §3 money: integer minor units, 1 ≤ amount ≤ Number.MAX_SAFE_INTEGER. */
export const amountSchema = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The path of a resource named by its uuid (`/bets/:id`, `/outbox/:id`, …). */
export const idParams = z.object({ id: z.uuid() }).strict();

/** Routes that take no body accept none or an empty object. */
export const emptyBody = z.union([z.undefined(), z.object({}).strict()]);
