import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { WalletOutcome } from './client.ts';

/**
 * SPEC §6: the RGS reads at most this much of a wallet's answer. A wallet (or anything
 * between it and us) that sends more gets the call counted as unknown, and the rest is
 * never read, so a hostile answer costs a node no more memory than this.
 */
const WALLET_ANSWER_LIMIT_BYTES = 64 * 1024;

const appliedBody = z.object({ transactionId: z.string(), balance: z.number().int().optional() }).loose();
const refusedBody = z.object({ code: z.string() }).loose();

// A refusal code is kept on the bet and shown to the operator in views, events and audit
// rows. Only a code shaped like one is taken from the wallet; anything else is recorded as
// HTTP_<status>, so nothing else of the wallet's body is ever echoed (SPEC §6).
const refusalCode = /^[A-Z][A-Z0-9_]{0,63}$/;

// Refusals that are the wallet's final word (SPEC §6): insufficient funds, limits,
// blocked players, conflicts. 401/408/429 and 5xx say nothing about the transaction.
function isDefinitiveRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;
}

/** The body's bytes, or undefined when it is over the limit (the stream is then destroyed unread). */
async function readBounded(body: Readable, declaredLength: string | string[] | undefined): Promise<Buffer | undefined> {
  if (Number(declaredLength) > WALLET_ANSWER_LIMIT_BYTES) {
    body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > WALLET_ANSWER_LIMIT_BYTES) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function jsonOf(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * What a wallet's answer to one call means. Only an answer that is clearly about the
 * transaction we sent counts as applied: a 200 for another transaction id (a confused or
 * malicious wallet, a proxy's cached answer) is unknown, so the bet retries and, for a
 * debit, ends rolled back rather than settled on a wallet's say-so about something else.
 */
export async function walletOutcomeOf(
  answer: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: Readable },
  sentTransactionId: string,
): Promise<WalletOutcome> {
  const bytes = await readBounded(answer.body, answer.headers['content-length']);
  if (bytes === undefined) return { kind: 'unknown', error: `wallet answer over ${WALLET_ANSWER_LIMIT_BYTES} bytes` };
  const json = jsonOf(bytes);
  const status = answer.statusCode;
  if (status === 200) {
    const parsed = appliedBody.safeParse(json);
    if (!parsed.success) return { kind: 'unknown', error: 'wallet answered 200 with an unreadable body' };
    if (parsed.data.transactionId !== sentTransactionId) return { kind: 'unknown', error: 'wallet answered 200 for another transaction' };
    return { kind: 'applied', balance: parsed.data.balance ?? null };
  }
  if (isDefinitiveRefusal(status)) {
    const parsed = refusedBody.safeParse(json);
    const code = parsed.success && refusalCode.test(parsed.data.code) ? parsed.data.code : `HTTP_${status}`;
    return { kind: 'refused', code, httpStatus: status };
  }
  return { kind: 'unknown', error: `wallet answered ${status}` };
}
