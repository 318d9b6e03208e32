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
    latencyMs: z.int().min(0).max(60_000).default(0),
    // An adversarial wallet (SPEC §6): a repeat of a transactionId the mock already saw —
    // an RGS retry — is answered 404 {code:"NOT_FOUND"}, as a gateway in the middle of a
    // deploy would, and changes nothing. Drawn apart from the three rates above.
    repeatRefusalRate: rate.default(0),
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
