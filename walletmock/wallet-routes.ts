import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isRetryRefusal, retryRefusals, type FaultInjector, type Operation } from './faults.ts';
import type { HeldResponses } from './held-responses.ts';
import { parseJson, parseValue, readBody, sendJson, sendValidationFailed, type Parsed } from './http-json.ts';
import type { Ledger, LedgerResult } from './ledger.ts';
import type { OutcomeSpy } from './outcome-spy.ts';
import {
  balanceQuery,
  creditBody,
  debitBody,
  playerIdParam,
  rollbackBody,
  type CreditBody,
  type DebitBody,
  type RollbackBody,
} from './schemas.ts';
import type { SignatureVerifier } from './signature.ts';
import type { RequestStats } from './stats.ts';

export interface WalletRouteDeps {
  ledger: Ledger;
  verifier: SignatureVerifier;
  faults: FaultInjector;
  held: HeldResponses;
  stats: RequestStats;
  spy: OutcomeSpy;
  logger: Logger;
}

type WalletRequest =
  | { operation: 'debit'; body: DebitBody }
  | { operation: 'credit'; body: CreditBody }
  | { operation: 'rollback'; body: RollbackBody };

function parseRequest(operation: Operation, raw: Buffer): Parsed<WalletRequest> {
  switch (operation) {
    case 'debit': {
      const parsed = parseJson(raw, debitBody);
      return parsed.ok ? { ok: true, value: { operation, body: parsed.value } } : parsed;
    }
    case 'credit': {
      const parsed = parseJson(raw, creditBody);
      return parsed.ok ? { ok: true, value: { operation, body: parsed.value } } : parsed;
    }
    case 'rollback': {
      const parsed = parseJson(raw, rollbackBody);
      return parsed.ok ? { ok: true, value: { operation, body: parsed.value } } : parsed;
    }
  }
}

function applyRequest(ledger: Ledger, operatorId: string, request: WalletRequest): LedgerResult {
  switch (request.operation) {
    case 'debit':
      return ledger.debit(operatorId, request.body);
    case 'credit':
      return ledger.credit(operatorId, request.body);
    case 'rollback':
      return ledger.rollback(operatorId, request.body);
  }
}

/** POST /wallet/debit|credit|rollback (SPEC §6). */
export async function handleWalletOperation(
  deps: WalletRouteDeps,
  operation: Operation,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { ledger, verifier, faults, held, stats, spy, logger } = deps;
  const raw = await readBody(req);

  // Authentication comes first: an unsigned request learns nothing and changes nothing.
  // The operator whose books it touches is the one its signature names.
  const verified = verifier.verify({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody: raw });
  if (!verified.ok) {
    stats.count(operation, 'unauthorized');
    sendJson(res, 401, { code: verified.refusal });
    return;
  }

  // A bad body is refused before any latency or fault: faults model an unreliable
  // wallet, not a lenient one.
  const request = parseRequest(operation, raw);
  if (!request.ok) {
    stats.count(operation, 'invalid');
    sendValidationFailed(res, request.issues);
    return;
  }

  // The mock holds the request (latency, and the spy's lookup of a debit's bet) before
  // deciding or applying anything: meanwhile the RGS cannot know whether the stake is taken.
  const latencyMs = faults.latencyOf(operation);
  const lookup = request.value.operation === 'debit' && spy.isOn() ? spy.observeDebit(req.headers, request.value.body) : null;
  if (latencyMs > 0) await delay(latencyMs);
  if (lookup !== null) await lookup;

  const fault = faults.decide(operation, request.value.body.transactionId);
  if (isRetryRefusal(fault)) {
    stats.count(operation, 'refusedRetry');
    sendJson(res, retryRefusals[fault].status, retryRefusals[fault].body);
    return;
  }
  if (fault === 'error') {
    stats.count(operation, 'error');
    sendJson(res, 500, { code: 'INTERNAL_ERROR' });
    return;
  }
  if (fault === 'timeout') {
    stats.count(operation, 'timeout');
    held.hold(res);
    return;
  }

  const { outcome, reply } = applyRequest(ledger, verified.operatorId, request.value);
  if (logger.isLevelEnabled('debug')) {
    logger.debug({ operation, operatorId: verified.operatorId, outcome, status: reply.status, fault, requestId: req.headers['x-request-id'] }, 'wallet request');
  }

  if (fault === 'lost-error' || fault === 'lost-cut') {
    stats.count(operation, 'lost');
    if (fault === 'lost-error') sendJson(res, 500, { code: 'INTERNAL_ERROR' });
    else res.socket?.destroy();
    return;
  }
  stats.count(operation, outcome);
  if (operation === 'debit' && reply.status === 200) spy.debitAnswered(request.value.body.transactionId);
  sendJson(res, reply.status, reply.body);
}

/** GET /wallet/balance/:playerId?operatorId=&currency= — unsigned, a test and ops route. */
export function handleBalance(ledger: Ledger, rawPlayerId: string, search: URLSearchParams, res: ServerResponse): void {
  const playerId = parseValue(rawPlayerId, playerIdParam);
  const query = parseValue(Object.fromEntries(search), balanceQuery);
  if (!playerId.ok || !query.ok) {
    sendValidationFailed(res, [...(playerId.ok ? [] : playerId.issues), ...(query.ok ? [] : query.issues)]);
    return;
  }
  const { operatorId } = query.value;
  // Without ?currency= the player's own currency is meant; a player never seen has none.
  const currency = query.value.currency ?? ledger.currencyOf(operatorId, playerId.value);
  if (currency === null) {
    sendValidationFailed(res, [{ path: 'currency', message: 'required for a player without transactions' }]);
    return;
  }
  sendJson(res, 200, { operatorId, playerId: playerId.value, currency, balance: ledger.balanceOf(operatorId, playerId.value, currency) });
}
