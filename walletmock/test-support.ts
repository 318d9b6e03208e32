import { createHmac, randomUUID } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import type { Operation } from './faults.ts';
import type { LedgerItem } from './ledger.ts';
import { createWalletMock, type WalletMock, type WalletMockOptions } from './server.ts';

// Used only by the walletmock tests: starts a mock on a free port and talks to it over
// real HTTP, signing requests the way SPEC §6 says the RGS does.

export const testSecret = 'walletmock-test-secret';
/** The operator the helpers below sign for unless told otherwise. */
export const testOperator = 'operator-a';
export const startBalance = 10_000;

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export interface SignOptions {
  secret?: string;
  timestamp?: string;
  requestId?: string;
  /** Sent as X-Operator-Id and signed (default testOperator). */
  operatorId?: string;
  /** Signed in place of what is sent: a signature made for another request. */
  signedFor?: { method?: string; path?: string; operatorId?: string };
  /** Replaces the computed signature. */
  signature?: string;
  /** Sent instead of JSON.stringify(body) (and signed as sent). */
  rawBody?: string;
  /** Leave out these headers entirely. */
  omit?: ('x-timestamp' | 'x-request-id' | 'x-operator-id' | 'x-signature')[];
  signal?: AbortSignal;
}

/** SPEC §6: hex(HMAC_SHA256(secret, "{timestamp}.{requestId}.{METHOD} {path}.{operatorId}.{rawBody}")). */
export function sign(
  secret: string,
  request: { timestamp: string; requestId: string; method?: string; path: string; operatorId?: string; rawBody: string },
): string {
  const { timestamp, requestId, method = 'POST', path, operatorId = testOperator, rawBody } = request;
  return createHmac('sha256', secret).update(`${timestamp}.${requestId}.${method} ${path}.${operatorId}.${rawBody}`).digest('hex');
}

export class MockClient {
  constructor(
    readonly baseUrl: string,
    readonly mock: WalletMock,
  ) {}

  /** A signed POST /wallet/{operation}; each call is a new HTTP attempt with a new request id. */
  async call(operation: Operation, body: unknown, options: SignOptions = {}): Promise<Reply> {
    const rawBody = options.rawBody ?? JSON.stringify(body);
    const timestamp = options.timestamp ?? String(Date.now());
    const requestId = options.requestId ?? randomUUID();
    const operatorId = options.operatorId ?? testOperator;
    const path = `/wallet/${operation}`;
    const signedFor = { method: 'POST', path, operatorId, ...options.signedFor };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-timestamp': timestamp,
      'x-request-id': requestId,
      'x-operator-id': operatorId,
      'x-signature': options.signature ?? sign(options.secret ?? testSecret, { timestamp, requestId, rawBody, ...signedFor }),
    };
    for (const name of options.omit ?? []) delete headers[name];
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers,
      body: rawBody,
      signal: options.signal,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async balance(playerId: string, currency = 'EUR', operatorId = testOperator): Promise<number> {
    const query = new URLSearchParams({ currency, operatorId });
    const reply = await this.request('GET', `/wallet/balance/${encodeURIComponent(playerId)}?${query}`);
    return reply.body.balance as number;
  }

  async ledger(playerId?: string, operatorId?: string): Promise<LedgerItem[]> {
    const query = new URLSearchParams({ ...(playerId !== undefined && { playerId }), ...(operatorId !== undefined && { operatorId }) });
    return (await this.request('GET', `/__ledger?${query}`)).body.items as LedgerItem[];
  }

  async stats(operation: Operation): Promise<Record<string, number>> {
    return (await this.request('GET', '/__stats')).body[operation] as Record<string, number>;
  }

  async setFaults(config: unknown): Promise<Reply> {
    return this.request('PUT', '/__faults', config);
  }

  async setPlayer(playerId: string, patch: unknown, operatorId = testOperator): Promise<Reply> {
    return this.request('PUT', `/__players/${encodeURIComponent(playerId)}?operatorId=${encodeURIComponent(operatorId)}`, patch);
  }
}

/** A mock of its own per test, on a free port, closed when the test ends. */
export async function startMock(t: ExecutionContext, options: Partial<WalletMockOptions> = {}): Promise<MockClient> {
  const mock = createWalletMock({ secrets: [testSecret], startBalance, ...options });
  const port = await mock.listen(0, '127.0.0.1');
  t.teardown(() => mock.close());
  return new MockClient(`http://127.0.0.1:${port}`, mock);
}

/** Fresh ids for one bet of a fresh player, and the bodies of its wallet calls. */
export function newBet(currency = 'EUR') {
  const playerId = `player-${randomUUID()}`;
  const betId = randomUUID();
  const roundId = randomUUID();
  const debitId = `${betId}:debit`;
  return {
    playerId,
    betId,
    roundId,
    debitId,
    creditId: `${betId}:credit`,
    rollbackId: `${betId}:rollback`,
    debit: (amount: number) => ({ transactionId: debitId, playerId, currency, amount, betId, roundId }),
    credit: (amount: number) => ({
      transactionId: `${betId}:credit`,
      debitTransactionId: debitId,
      playerId,
      currency,
      amount,
      betId,
      roundId,
    }),
    rollback: (amount: number) => ({
      transactionId: `${betId}:rollback`,
      debitTransactionId: debitId,
      playerId,
      currency,
      amount,
      betId,
    }),
  };
}

/** Polls until the condition holds; tests wait for state, never for a fixed time. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
