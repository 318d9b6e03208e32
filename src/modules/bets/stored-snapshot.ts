import { z } from 'zod';
import { BET_STATES } from '../../../machines/bet.machine.ts';
import type { PersistedBetSnapshot } from '../../../machines/bet.runtime-api.ts';

// A bet's machine snapshot as read back from the database (jsonb `bets.snapshot`): checked
// here, at the storage boundary, before the machine restores it (machines/ imports
// nothing but xstate). A row that is not a snapshot of this machine is a bug or a
// tampered row, and the bet must not move on from it.

const safeAmount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const betContextSchema = z
  .object({
    betId: z.string().min(1),
    amount: safeAmount.min(1),
    payout: safeAmount,
    win: z.boolean(),
    parkAfterMs: z.number().int().min(0),
    transitions: z.number().int().min(0),
    rejectReason: z.string().nullable(),
    lastError: z.string().nullable(),
    rollbackStartedAt: z.number().nullable(),
    creditAttempts: z.number().int().min(0),
    rollbackAttempts: z.number().int().min(0),
    manualResolution: z.enum(['cancelled', 'debited']).nullable(),
  })
  .strict();

const persistedBetSnapshotSchema = z.object({
  status: z.enum(['active', 'done']),
  value: z.enum(BET_STATES),
  context: betContextSchema,
  historyValue: z.object({}).strict().optional(),
  children: z.object({}).strict().optional(),
});

/** The stored snapshot (the jsonb value or its JSON text), checked; throws a ZodError if it is not one of this machine's. */
export function parseStoredSnapshot(json: unknown): PersistedBetSnapshot {
  const raw: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  return persistedBetSnapshotSchema.parse(raw) as PersistedBetSnapshot;
}
