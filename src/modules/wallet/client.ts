import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Pool } from 'undici';
import { guardedConnect } from '../../shared/outbound-target.ts';
import { signWalletRequest } from './signing.ts';
import type { WalletCallKind } from './transaction-ids.ts';
import { walletOutcomeOf } from './wallet-answer.ts';

/** Where and how to reach one operator's wallet (SPEC §6: each operator has its own URL and secret). */
export interface WalletEndpoint {
  /** Sent as X-Operator-Id and signed: the wallet knows whose player a request is about. */
  operatorId: string;
  url: string;
  /** null when an operator's own wallet has no secret (a row older than that rule): nothing is sent. */
  secret: string | null;
}

export interface DebitRequest {
  transactionId: string;
  playerId: string;
  currency: string;
  amount: number;
  betId: string;
  roundId: string;
}
export interface CreditRequest extends DebitRequest {
  debitTransactionId: string;
}
export interface RollbackRequest {
  transactionId: string;
  debitTransactionId: string;
  playerId: string;
  currency: string;
  amount: number;
  betId: string;
}

/**
 * What a wallet call came to. `refused` is a definitive answer (nothing was applied, and
 * asking again gives the same answer); `unknown` means we cannot tell whether it was
 * applied (timeout, 5xx, cut connection): retry with the same transaction id.
 */
export type WalletOutcome =
  | { kind: 'applied'; balance: number | null }
  | { kind: 'refused'; code: string; httpStatus: number }
  | { kind: 'unknown'; error: string };

export interface WalletClient {
  call(endpoint: WalletEndpoint, kind: 'debit', body: DebitRequest): Promise<WalletOutcome>;
  call(endpoint: WalletEndpoint, kind: 'credit', body: CreditRequest): Promise<WalletOutcome>;
  call(endpoint: WalletEndpoint, kind: 'rollback', body: RollbackRequest): Promise<WalletOutcome>;
  close(): Promise<void>;
}

const errorCode = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Signed calls to operators' wallets over keep-alive connections, each bounded by a timeout. */
export function createWalletClient(options: { timeoutMs: number; allowPrivateTargets: boolean }): WalletClient {
  // One connection pool per wallet URL, made on first use. A pool's own `request` costs
  // about half of what the global dispatcher's does with an AbortSignal (measured: 26 µs
  // against 49 µs per call on a local wallet), most of it the AbortSignal's machinery.
  // Operators may share a wallet URL, so a pool's connections are not capped: what bounds
  // them is each operator's WALLET_CALLS_PER_OPERATOR (operator-bounds.ts), and a capped
  // pool would let one operator's hanging calls hold every connection the others need.
  const wallets = new Map<string, { pool: Pool; basePath: string }>();

  function walletAt(url: string) {
    let wallet = wallets.get(url);
    if (!wallet) {
      const parsed = new URL(url);
      wallet = {
        pool: new Pool(parsed.origin, {
          keepAliveTimeout: 30_000,
          // SPEC §6: each new connection checks the address it goes to (DNS rebinding).
          connect: guardedConnect({ timeout: options.timeoutMs }, options),
        }),
        basePath: parsed.pathname.replace(/\/$/, ''),
      };
      wallets.set(url, wallet);
    }
    return wallet;
  }

  async function call(endpoint: WalletEndpoint, kind: WalletCallKind, body: { transactionId: string }): Promise<WalletOutcome> {
    // Never sign an operator's own wallet's calls with the deployment's secret (SPEC §6):
    // with no secret of its own the call cannot be made, and the bet retries, then parks.
    if (endpoint.secret === null) return { kind: 'unknown', error: 'the operator has a wallet URL but no wallet secret' };
    const rawBody = JSON.stringify(body);
    const timestamp = String(Date.now());
    const requestId = randomUUID();
    const wallet = walletAt(endpoint.url);
    const path = `${wallet.basePath}/wallet/${kind}`;
    // The whole call is bounded by a timer of our own, cleared as soon as the call ends. An
    // EventEmitter is the signal (undici takes one in place of an AbortSignal): emitting
    // 'abort' ends the request as an abort would, without an AbortController per call.
    const deadline = new EventEmitter();
    const timer = setTimeout(() => deadline.emit('abort'), options.timeoutMs);
    try {
      const response = await wallet.pool.request({
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-timestamp': timestamp,
          'x-request-id': requestId,
          'x-operator-id': endpoint.operatorId,
          'x-signature': signWalletRequest(endpoint.secret, { timestamp, requestId, method: 'POST', path, operatorId: endpoint.operatorId, rawBody }),
        },
        body: rawBody,
        signal: deadline,
      });
      return await walletOutcomeOf(response, body.transactionId);
    } catch (error) {
      const { name, code } = error as { name?: string; code?: unknown };
      if (name === 'AbortError') return { kind: 'unknown', error: 'wallet timed out' };
      // Only the error's code (ECONNREFUSED, UND_ERR_SOCKET, HPE_…): a parser's message may
      // quote what the wallet sent, and the error is shown to the operator (SPEC §6).
      return { kind: 'unknown', error: `wallet unreachable (${typeof code === 'string' && errorCode.test(code) ? code : 'no code'})` };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    call: call as WalletClient['call'],
    close: async () => {
      await Promise.all([...wallets.values()].map((wallet) => wallet.pool.close()));
    },
  };
}
