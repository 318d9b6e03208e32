import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from './faults.ts';
import { parseJson, parseValue, readBody, sendJson, sendValidationFailed } from './http-json.ts';
import type { Ledger } from './ledger.ts';
import type { OutcomeSpy } from './outcome-spy.ts';
import { faultsBody, ledgerQuery, playerBody, playerIdParam, playerQuery, spyBody } from './schemas.ts';
import type { RequestStats } from './stats.ts';

// The mock's own test and ops routes (SPEC §6): unsigned, because only tests and chaos
// runs talk to them, never the RGS.

export interface ControlRouteDeps {
  ledger: Ledger;
  faults: FaultInjector;
  stats: RequestStats;
  spy: OutcomeSpy;
}

/** PUT /__faults replaces the whole configuration; GET /__faults shows it. */
export async function handleFaults(deps: ControlRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    sendJson(res, 200, deps.faults.current());
    return;
  }
  const parsed = parseJson(await readBody(req), faultsBody);
  if (!parsed.ok) {
    sendValidationFailed(res, parsed.issues);
    return;
  }
  sendJson(res, 200, deps.faults.configure(parsed.value));
}

/** PUT /__spy {rgsUrl, keys: {operatorId: apiKey}} turns the outcome spy on (`{}` off) and
 * starts a new count; GET /__spy reports it. The keys are never shown back. */
export async function handleSpy(deps: ControlRouteDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    sendJson(res, 200, deps.spy.report());
    return;
  }
  const parsed = parseJson(await readBody(req), spyBody);
  if (!parsed.ok) {
    sendValidationFailed(res, parsed.issues);
    return;
  }
  sendJson(res, 200, deps.spy.configure(parsed.value));
}

/** GET /__ledger?operatorId=&playerId= — one item per operator and transactionId, in arrival order. */
export function handleLedger(deps: ControlRouteDeps, search: URLSearchParams, res: ServerResponse): void {
  const query = parseValue(Object.fromEntries(search), ledgerQuery);
  if (!query.ok) {
    sendValidationFailed(res, query.issues);
    return;
  }
  sendJson(res, 200, { items: deps.ledger.items(query.value) });
}

/** GET /__stats — wallet requests counted by operation and outcome. */
export function handleStats(deps: ControlRouteDeps, res: ServerResponse): void {
  sendJson(res, 200, deps.stats.snapshot());
}

/** PUT /__players/:playerId?operatorId= {blocked?, balance?: {CUR: n}, debitLimit?} */
export async function handlePlayer(
  deps: ControlRouteDeps,
  rawPlayerId: string,
  search: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const playerId = parseValue(rawPlayerId, playerIdParam);
  const query = parseValue(Object.fromEntries(search), playerQuery);
  const body = parseJson(await readBody(req), playerBody);
  if (!playerId.ok || !query.ok || !body.ok) {
    sendValidationFailed(res, [playerId, query, body].flatMap((parsed) => (parsed.ok ? [] : parsed.issues)));
    return;
  }
  sendJson(res, 200, deps.ledger.updatePlayer(query.value.operatorId, playerId.value, body.value));
}

/** POST /__reset — forgets balances, players, transactions, faults, the spy and counts, so one
 * long-running mock can serve several test runs. Seen request ids are kept: a reset
 * must not reopen the replay window. */
export function handleReset(deps: ControlRouteDeps, res: ServerResponse): void {
  deps.ledger.reset();
  deps.faults.configure({});
  deps.faults.reset();
  deps.spy.reset();
  deps.stats.reset();
  sendJson(res, 200, { status: 'reset' });
}
