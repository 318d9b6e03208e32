import { z } from 'zod';

// SPEC §6: the bodies the wallet accepts, and the bodies of the mock's own test routes.
// Objects are strict so that protocol drift on the RGS side fails loudly here (400)
// instead of being silently ignored by a lenient mock.

const id = z.string().min(1).max(200);
const currency = z.string().regex(/^[A-Z]{3}$/, 'three uppercase letters');
// z.int() is already limited to safe integers; money is minor units, never floats.
const amount = z.int().positive();

export const debitBody = z.strictObject({
  transactionId: id,
  playerId: id,
  currency,
  amount,
  betId: id,
  roundId: id,
});
export type DebitBody = z.infer<typeof debitBody>;

export const creditBody = z.strictObject({
  transactionId: id,
  debitTransactionId: id,
  playerId: id,
  currency,
  amount,
  betId: id,
  roundId: id,
});
export type CreditBody = z.infer<typeof creditBody>;

export const rollbackBody = z.strictObject({
  transactionId: id,
  debitTransactionId: id,
  playerId: id,
  currency,
  amount,
  betId: id,
});
export type RollbackBody = z.infer<typeof rollbackBody>;

export const playerIdParam = id;

// Balances are kept per (operator, player) (SPEC §6): a player id alone names no wallet, so
// the routes about one player need the operator too. The ledger's filters are optional.
export const balanceQuery = z.strictObject({ currency: currency.optional(), operatorId: id });

export const playerQuery = z.strictObject({ operatorId: id });

export const ledgerQuery = z.strictObject({ playerId: id.optional(), operatorId: id.optional() });

export const playerBody = z.strictObject({
  blocked: z.boolean().optional(),
  balance: z.record(currency, z.int().min(0)).optional(),
  // Total the player may stake (debits not rolled back) before debits get 403 LIMIT_REACHED;
  // null removes the limit.
  debitLimit: z.int().min(0).nullable().optional(),
});
export type PlayerBody = z.infer<typeof playerBody>;

const rate = z.number().min(0).max(1);
const operationFaults = z
  .strictObject({
    errorRate: rate.default(0),
    timeoutRate: rate.default(0),
    lostResponseRate: rate.default(0),
    // A repeat of a transactionId the mock has seen (a retry) is refused with a 4xx and
    // nothing applied, as a gateway in front of a wallet answers during a deploy. Its own
    // draw, taken before the others: it is not part of their shared unit interval.
    refuseRetryRate: rate.default(0),
    latencyMs: z.int().min(0).max(60_000).default(0),
  })
  // One draw decides the fault, so the three rates share the unit interval; the
  // epsilon forgives float sums such as 0.1 + 0.2 + 0.7.
  .refine((faults) => faults.errorRate + faults.timeoutRate + faults.lostResponseRate <= 1 + 1e-9, {
    message: 'errorRate + timeoutRate + lostResponseRate must not exceed 1',
  });
export type OperationFaults = z.infer<typeof operationFaults>;

export const faultsBody = z.strictObject({
  seed: z.int().optional(),
  debit: operationFaults.optional(),
  credit: operationFaults.optional(),
  rollback: operationFaults.optional(),
});
export type FaultsBody = z.infer<typeof faultsBody>;

// PUT /__spy: where the RGS's operator API is and each operator's key; `{}` turns it off.
const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
export const spyBody = z.strictObject({
  // Several nodes may be given: lookups go round them, and past one that does not answer.
  rgsUrl: z.union([httpUrl, z.array(httpUrl).min(1).max(16)]).optional(),
  keys: z
    .record(id, z.string().min(1).max(512))
    .refine((keys) => Object.keys(keys).length >= 1 && Object.keys(keys).length <= 64, { message: '1 to 64 operators' })
    .optional(),
}).refine((body) => (body.rgsUrl === undefined) === (body.keys === undefined), {
  message: 'rgsUrl and keys go together ({} turns the spy off)',
});
export type SpyBody = z.infer<typeof spyBody>;
