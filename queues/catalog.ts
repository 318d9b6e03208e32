import { z } from 'zod';
import type { JobsOptions } from 'bullmq';
import type { WalletStep } from '../machines/bet.machine.ts';

/**
 * Every job the product runs: job name → queue, zod payload, options and the job id
 * derived from the payload. Enqueue and process are both typed from here, and Bull Board
 * lists these queues.
 *
 * A bet's wallet steps run one attempt per job; the bet machine (or, for debits, the
 * recorded attempt count) decides whether and when the next attempt is due, and that
 * attempt is a new job with its own id (`betId.step.attempt`), so duplicates enqueued by
 * several nodes or by the sweeper collapse into one. BullMQ's own retries only cover
 * infrastructure failures inside a job (database or Redis unreachable).
 *
 * `partitionKey` picks the queue partition of a job (queues/partitions.ts): every job of
 * one bet, or of one webhook delivery, goes to the same partition.
 */
// The bet's operator travels with it: the step's statements find the bet by its key,
// (operator_id, id) (migration 0013, docs/scaling.md).
const betStep = z.object({ operatorId: z.uuid(), betId: z.uuid(), attempt: z.int().min(1).max(1_000_000) }).strict();
type BetStep = z.infer<typeof betStep>;

const stepOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { count: 1_000, age: 3_600 },
  removeOnFail: { count: 10_000, age: 7 * 24 * 3_600 },
};

/**
 * One webhook delivery attempt (SPEC §7). `round` is the delivery's attempt count when the
 * job was enqueued; the processor records the attempt and enqueues the next round as a new
 * delayed job, so BullMQ never retries on its own. Completed jobs are removed at once: a
 * redelivered delivery starts again at round 0 and must be able to reuse those ids.
 */
const webhookAttempt = z.object({ deliveryId: z.uuid(), round: z.int().min(0).max(1_000_000) }).strict();
type WebhookAttempt = z.infer<typeof webhookAttempt>;

const webhookOptions: JobsOptions = {
  attempts: 1,
  removeOnComplete: true,
  removeOnFail: { count: 10_000, age: 7 * 24 * 3_600 },
};

export const jobCatalog = {
  debit: { queue: 'bet-debit', payload: betStep, options: stepOptions, jobId: (p: BetStep) => `${p.betId}.debit.${p.attempt}`, partitionKey: (p: BetStep) => p.betId },
  credit: { queue: 'bet-credit', payload: betStep, options: stepOptions, jobId: (p: BetStep) => `${p.betId}.credit.${p.attempt}`, partitionKey: (p: BetStep) => p.betId },
  rollback: { queue: 'bet-rollback', payload: betStep, options: stepOptions, jobId: (p: BetStep) => `${p.betId}.rollback.${p.attempt}`, partitionKey: (p: BetStep) => p.betId },
  webhook: {
    queue: 'webhook',
    payload: webhookAttempt,
    options: webhookOptions,
    jobId: (p: WebhookAttempt) => `${p.deliveryId}.${p.round}`,
    partitionKey: (p: WebhookAttempt) => p.deliveryId,
  },
} as const;

export type JobName = keyof typeof jobCatalog;
export type JobPayload<Name extends JobName> = z.infer<(typeof jobCatalog)[Name]['payload']>;

export const JOB_NAMES = Object.keys(jobCatalog) as JobName[];

/** The wallet steps of a bet (the machine's): the jobs the bet runtime and the sweeper enqueue. */
export type BetStepName = WalletStep;
