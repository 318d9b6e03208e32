import type { RouteEntry } from '../support/app-routes.ts';

// What each endpoint takes, written from SPEC §3 (not read from the product's zod schemas,
// so the fuzzer is an independent oracle). A route missing here is still fuzzed with the
// inputs every route shares (credentials, method, percent-encoding, body framing); an
// entry here adds its own fields, query parameters and headers.

/** The real ids of the fuzzing operator, so requests aim at things that exist. */
export interface Fixtures {
  operatorId: string;
  apiKey: string;
  adminToken: string;
  sessionToken: string;
  playerId: string;
  betId: string;
  roundId: string;
}

/** What a value is, for choosing values that are certainly not one. */
export type Kind =
  | 'amount'
  | 'uuid'
  | 'playerId'
  | 'currency'
  | 'jurisdiction'
  | 'clientSeed'
  | 'name'
  | 'url'
  | 'secret'
  | 'rateLimit'
  | 'game'
  | 'diceParams'
  | 'jurisdictions'
  | 'currencyLimits'
  | 'limit'
  | 'recallLimit'
  | 'cursor'
  | 'timestamp'
  | 'betStatus'
  | 'deliveryStatus'
  | 'action'
  | 'eventTypes'
  | 'serverSeed'
  | 'nonce'
  /** Accepted whatever it is (e.g. `lastEventId`: an unusable one is answered in the stream). */
  | 'anything';

export interface Field {
  kind: Kind;
  /** A value that is valid on its own (query values as the string sent). */
  valid: unknown;
  required?: boolean;
  /** null is a valid value (PATCH clears a setting with it). */
  nullable?: boolean;
}

export interface RouteInputs {
  /** Path parameters: the kind and the real value aimed at. */
  params?: Record<string, { kind: Kind; valid: string }>;
  /** A JSON object body with these fields, or `none` (no body or `{}`). Absent: the route reads no body. */
  body?: Record<string, Field> | 'none';
  /** A strict query (unknown parameters refused). Absent: the route reads no query. */
  query?: Record<string, Field>;
  idempotencyKey?: 'required' | 'optional';
  /** A library's router (Bull Board): only its credentials are fuzzed. */
  authOnly?: true;
}

export type AuthKind = 'operator' | 'admin' | 'public';

/**
 * SPEC §3: the endpoints that need no credentials (ops, fairness verification, the API
 * documentation, the players' verifier page, and the pages' assets). Every other one needs
 * the operator key or, under /admin, the admin token — so a new route that forgot its auth
 * fails the fuzzer.
 */
const PUBLIC_PATHS = new Set(['/health', '/ready', '/metrics', '/fairness/verify', '/openapi.json', '/docs', '/verify']);

export function authOf(route: RouteEntry): AuthKind {
  if (route.path === '/admin' || route.path.startsWith('/admin/')) return 'admin';
  return PUBLIC_PATHS.has(route.path) || route.path.startsWith('/docs/') || route.path.startsWith('/verify/') ? 'public' : 'operator';
}

/** The API documentation is served by both listeners (the admin one for "Try it out" of the admin API; docs/api-docs.md). */
export const onBothListeners = (route: RouteEntry): boolean => route.path === '/openapi.json' || route.path === '/docs' || route.path.startsWith('/docs/');

export const routeKey = (route: RouteEntry) => `${route.method} ${route.path}`;

/** Where a request goes: the node's public port, its admin listener (issue #17 §6: `/admin/*` and `/metrics`), or the wallet mock. */
export type Listener = 'public' | 'admin' | 'walletmock';

// A valid cursor only comes from a page: the base request has none.
const page = (limitKind: Kind = 'limit'): Record<string, Field> => ({
  cursor: { kind: 'cursor', valid: undefined },
  limit: { kind: limitKind, valid: '10' },
});

const operatorSettings = (patch: boolean): Record<string, Field> => ({
  name: { kind: 'name', valid: 'fuzz operator', required: !patch },
  walletUrl: { kind: 'url', valid: 'https://wallet.example.com/api', nullable: patch },
  walletSecret: { kind: 'secret', valid: 'wallet-secret-0123456789', nullable: patch },
  webhookUrl: { kind: 'url', valid: 'https://hooks.example.com/rgs', nullable: patch },
  webhookSecret: { kind: 'secret', valid: 'webhook-secret-0123456789', nullable: patch },
  rateLimitPerSecond: { kind: 'rateLimit', valid: 50, nullable: patch },
});

export function routeInputs(fx: Fixtures): Record<string, RouteInputs> {
  const token = { token: { kind: 'uuid' as const, valid: fx.sessionToken } };
  const operatorParam = { id: { kind: 'uuid' as const, valid: fx.operatorId } };
  return {
    'GET /fairness/verify': {
      query: {
        game: { kind: 'game', valid: 'dice', required: true },
        serverSeed: { kind: 'serverSeed', valid: 'a'.repeat(64), required: true },
        clientSeed: { kind: 'clientSeed', valid: 'fuzz', required: true },
        nonce: { kind: 'nonce', valid: '7', required: true },
      },
    },
    'POST /admin/operators': { body: operatorSettings(false) },
    // No inputs: its own breakers are an extra path segment (never an operator id).
    'GET /admin/operators': {},
    'GET /admin/operators/:id': { params: operatorParam },
    'PATCH /admin/operators/:id': { params: operatorParam, body: operatorSettings(true) },
    'POST /admin/operators/:id/keys/rotate': { params: operatorParam, body: 'none' },
    'POST /sessions/launch': {
      idempotencyKey: 'optional',
      body: {
        playerId: { kind: 'playerId', valid: 'fuzz-newcomer', required: true },
        currency: { kind: 'currency', valid: 'EUR', required: true },
        jurisdiction: { kind: 'jurisdiction', valid: 'MT', required: true },
        clientSeed: { kind: 'clientSeed', valid: 'lucky seed' },
      },
    },
    'GET /sessions/:token': { params: token },
    'POST /sessions/:token/revoke': { params: token, body: 'none' },
    'POST /sessions/:token/seeds/rotate': { params: token, body: { clientSeed: { kind: 'clientSeed', valid: 'next seed' } } },
    'POST /bets': {
      idempotencyKey: 'required',
      body: {
        sessionToken: { kind: 'uuid', valid: fx.sessionToken, required: true },
        amount: { kind: 'amount', valid: 100, required: true },
        game: { kind: 'game', valid: 'dice', required: true },
        params: { kind: 'diceParams', valid: { target: 50, direction: 'over' }, required: true },
      },
    },
    'GET /bets/:id': { params: { id: { kind: 'uuid', valid: fx.betId } } },
    'GET /bets': {
      query: { playerId: { kind: 'playerId', valid: fx.playerId }, status: { kind: 'betStatus', valid: 'lost' }, ...page() },
    },
    'GET /rounds/:id': { params: { id: { kind: 'uuid', valid: fx.roundId } } },
    'GET /players/:playerId/rounds': { params: { playerId: { kind: 'playerId', valid: fx.playerId } }, query: page('recallLimit') },
    'GET /transactions': {
      query: {
        from: { kind: 'timestamp', valid: '2020-01-01T00:00:00Z' },
        to: { kind: 'timestamp', valid: '2099-01-01T00:00:00Z' },
        roundId: { kind: 'uuid', valid: fx.roundId },
        playerId: { kind: 'playerId', valid: fx.playerId },
        ...page(),
      },
    },
    'GET /audit': {
      query: {
        action: { kind: 'action', valid: 'bet.placed' },
        playerId: { kind: 'playerId', valid: fx.playerId },
        from: { kind: 'timestamp', valid: '2020-01-01T00:00:00Z' },
        to: { kind: 'timestamp', valid: '2099-01-01T00:00:00+02:00' },
        ...page(),
      },
    },
    'GET /limits': {},
    'GET /games': {},
    'PUT /limits': {
      body: {
        blockedJurisdictions: { kind: 'jurisdictions', valid: ['US', 'FR'] },
        currencies: { kind: 'currencyLimits', valid: { EUR: { maxBet: 10_000, dailyLossLimit: 50_000, dailyWinLimit: 90_000 } } },
      },
    },
    'GET /outbox': { query: page() },
    'POST /outbox/:id/retry': { params: { id: { kind: 'uuid', valid: fx.betId } }, body: 'none' },
    'GET /webhooks/deliveries': { query: { status: { kind: 'deliveryStatus', valid: 'failed' }, ...page() } },
    'POST /webhooks/deliveries/:id/redeliver': { params: { id: { kind: 'uuid', valid: fx.betId } }, body: 'none' },
    'GET /stream': {
      query: {
        types: { kind: 'eventTypes', valid: 'bet.*,session.launched' },
        playerId: { kind: 'playerId', valid: fx.playerId },
        lastEventId: { kind: 'anything', valid: '0-0' },
      },
    },
    'GET /admin/queues': { authOnly: true },
  };
}
