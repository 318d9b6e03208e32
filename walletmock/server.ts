import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { answerClientErrors } from './client-errors.ts';
import { handleFaults, handleLedger, handlePlayer, handleReset, handleSpy, handleStats } from './control-routes.ts';
import { createFaultInjector, type Operation } from './faults.ts';
import { createHeldResponses } from './held-responses.ts';
import { PayloadTooLarge, sendJson } from './http-json.ts';
import { createLedger } from './ledger.ts';
import { createOutcomeSpy } from './outcome-spy.ts';
import { createSignatureVerifier } from './signature.ts';
import { createRequestStats } from './stats.ts';
import { handleBalance, handleWalletOperation } from './wallet-routes.ts';

export interface WalletMockOptions {
  /** Accepted signing secrets; several operators may share one mock. */
  secrets: readonly string[];
  /** Balance, in minor units, of a player+currency the mock has not seen. */
  startBalance: number;
  /** Credit transaction ids refused every time (403 CREDIT_REFUSED), even by a fresh mock. */
  refusedCredits?: readonly string[];
  logger?: Logger;
  /** Clock for timestamps and ledger times (tests). */
  now?: () => number;
}

export interface WalletMock {
  server: Server;
  /** Resolves with the bound port (useful with 0 = any free port). */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, cuts open connections (held "timeout" ones included). */
  close(): Promise<void>;
}

const operationPaths: ReadonlyMap<string, Operation> = new Map([
  ['/wallet/debit', 'debit'],
  ['/wallet/credit', 'credit'],
  ['/wallet/rollback', 'rollback'],
]);
const balancePrefix = '/wallet/balance/';
const playersPrefix = '/__players/';

// Plain node:http and a hand-written route table: the mock sits in the throughput
// benchmark's path, so the wallet routes must cost next to nothing beyond the HMAC.
export function createWalletMock(options: WalletMockOptions): WalletMock {
  const logger = options.logger ?? pino({ level: 'silent' });
  const ledger = createLedger({ startBalance: options.startBalance, refusedCredits: new Set(options.refusedCredits), now: options.now });
  const verifier = createSignatureVerifier({ secrets: options.secrets, now: options.now });
  const faults = createFaultInjector();
  const held = createHeldResponses();
  const stats = createRequestStats();
  const spy = createOutcomeSpy({ now: options.now });
  const walletDeps = { ledger, verifier, faults, held, stats, spy, logger };
  const controlDeps = { ledger, faults, stats, spy };

  function route(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const search = () => new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    const method = req.method ?? 'GET';

    const operation = operationPaths.get(path);
    if (operation !== undefined) {
      return method === 'POST' ? handleWalletOperation(walletDeps, operation, req, res) : methodNotAllowed(res);
    }
    if (path.startsWith(balancePrefix)) {
      const playerId = decodeURIComponent(path.slice(balancePrefix.length));
      return method === 'GET' ? handleBalance(ledger, playerId, search(), res) : methodNotAllowed(res);
    }
    if (path.startsWith(playersPrefix)) {
      const playerId = decodeURIComponent(path.slice(playersPrefix.length));
      return method === 'PUT' ? handlePlayer(controlDeps, playerId, search(), req, res) : methodNotAllowed(res);
    }
    switch (path) {
      case '/health':
        return method === 'GET' ? sendJson(res, 200, { status: 'ok' }) : methodNotAllowed(res);
      case '/__faults':
        return method === 'GET' || method === 'PUT' ? handleFaults(controlDeps, req, res) : methodNotAllowed(res);
      case '/__spy':
        return method === 'GET' || method === 'PUT' ? handleSpy(controlDeps, req, res) : methodNotAllowed(res);
      case '/__ledger':
        return method === 'GET' ? handleLedger(controlDeps, search(), res) : methodNotAllowed(res);
      case '/__stats':
        return method === 'GET' ? handleStats(controlDeps, res) : methodNotAllowed(res);
      case '/__reset':
        return method === 'POST' ? handleReset(controlDeps, res) : methodNotAllowed(res);
    }
    sendJson(res, 404, { code: 'NOT_FOUND' });
  }

  function fail(res: ServerResponse, error: unknown): void {
    if (error instanceof PayloadTooLarge) return sendJson(res, 413, { code: 'PAYLOAD_TOO_LARGE' });
    // decodeURIComponent on a malformed path segment.
    if (error instanceof URIError) return sendJson(res, 400, { code: 'VALIDATION_FAILED', issues: [] });
    const errorId = randomUUID();
    logger.error({ err: error, errorId }, 'walletmock request failed');
    if (!res.headersSent) sendJson(res, 500, { code: 'INTERNAL_ERROR', errorId });
    else res.destroy();
  }

  const server = createServer((req, res) => {
    try {
      const pending = route(req, res);
      if (pending instanceof Promise) pending.catch((error: unknown) => fail(res, error));
    } catch (error) {
      fail(res, error);
    }
  });
  answerClientErrors(server);

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        held.cutAll();
        if (!server.listening) return resolve();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
    },
  };
}

function methodNotAllowed(res: ServerResponse): void {
  sendJson(res, 405, { code: 'METHOD_NOT_ALLOWED' });
}
