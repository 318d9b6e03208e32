import { GAMES } from '../../games/registry.ts';
import { listGames } from '../../modules/games/service.ts';
import { DEMO_OPERATORS, DEMO_SPARE_OPERATOR } from '../../modules/operators/demo-operators.ts';
import { DEMO_BET_IDEMPOTENCY_KEY, DEMO_BET_REQUEST, DEMO_IDS, DEMO_OUTBOX_PLAYER, DEMO_PLAYER, DEMO_REFUSED_CREDIT } from '../../demo/demo-ids.ts';
import type { OpenApiDocument } from './document.ts';

// One example request and one example answer per operation (issue #22 point 4), taken from
// a session against `npm start`'s demo operator: player-7 launches a session, loses a bet
// on dice, rotates the seeds and is revoked. Request bodies, required parameters and the
// harmless optional ones are filled in, so "Try it out" on /docs works with the demo key
// (the admin operations with the demo admin token, on the admin listener's /docs). The ids
// they name are the records `npm start` seeds (src/demo/demo-ids.ts, src/demo/demo-data.ts):
// the session, a spare session to revoke, the bet and its round, player-8's parked credit,
// the webhook delivery of the bet's bet.placed event, and a spare operator whose key the
// rotation example takes. Seeds, times and outcomes are those of one such session:
// the demo database's own differ. Cursors and time ranges have no example: a prefilled stale
// cursor is a 400. test/openapi-examples.test.ts validates every example against its own
// schema; test/demo-examples.test.ts calls every operation as filled in against `npm start`.

const [ALPHA] = DEMO_OPERATORS;
const PLAYER = DEMO_PLAYER;
const SESSION_TOKEN = DEMO_IDS.sessionToken;
const BET_ID = DEMO_IDS.betId;
const ROUND_ID = DEMO_IDS.roundId;
const SERVER_SEED = 'e102d0385401510427b8f1341cfd26a0e67d660a989fb00a066737f88d93fae1';
const SERVER_SEED_HASH = 'e1bdf11f749fe45272fccf444e5f8ce822aa766f2549b484e598173009ca3b1a';
const CLIENT_SEED = 'aba959225a2f84fe';
const NEXT_SEEDS = { serverSeedHash: 'd8935b01c022e3be7e26383a2b33b58a6b9eb209429c93c3caa6776255d614ae', clientSeed: '01a2d48fda0fb860', nonce: 0 };
const LAUNCHED_AT = '2026-12-07T16:04:16.473Z';
const PLACED_AT = '2026-12-07T16:04:16.642Z';
const SETTLED_AT = '2026-12-07T16:04:16.777Z';

const session = {
  sessionToken: SESSION_TOKEN,
  playerId: PLAYER,
  currency: 'EUR',
  jurisdiction: 'MT',
  status: 'active',
  active: true,
  expiresAt: '2026-12-07T20:04:16.473Z',
  createdAt: LAUNCHED_AT,
  revokedAt: null,
  fairness: { serverSeedHash: SERVER_SEED_HASH, clientSeed: CLIENT_SEED, nonce: 0 },
};

const betRequest = DEMO_BET_REQUEST;

const bet = {
  id: BET_ID,
  status: 'lost',
  playerId: PLAYER,
  amount: 1000,
  currency: 'EUR',
  payout: 0,
  game: 'dice',
  params: { target: 50, direction: 'under' },
  roundId: ROUND_ID,
  outcome: { roll: 99.88, win: false },
  fairness: { serverSeedHash: SERVER_SEED_HASH, clientSeed: CLIENT_SEED, nonce: 0 },
  createdAt: PLACED_AT,
  settledAt: SETTLED_AT,
  history: [
    { state: 'debiting', at: '2026-12-07T16:04:16.641Z' },
    { state: 'lost', at: '2026-12-07T16:04:16.682Z' },
  ],
};

const round = {
  id: ROUND_ID,
  betId: BET_ID,
  playerId: PLAYER,
  game: 'dice',
  gameVersion: 'dice-1',
  config: { houseEdge: 1 },
  outcome: { roll: 99.88, win: false },
  fairness: { serverSeedHash: SERVER_SEED_HASH, clientSeed: CLIENT_SEED, nonce: 0, serverSeed: null },
  createdAt: PLACED_AT,
};

const limits = { blockedJurisdictions: ['US'], currencies: { EUR: { maxBet: 100000, dailyLossLimit: 500000 } } };

const operator = {
  id: ALPHA.id,
  name: ALPHA.name,
  walletUrl: null,
  walletSecretSet: false,
  // `npm start`'s webhook receiver, on a port of its own each start.
  webhookUrl: 'http://127.0.0.1:38817/webhooks',
  webhookSecretSet: true,
  rateLimitPerSecond: null,
  games: { enabled: GAMES.map((game) => game.id), config: Object.fromEntries(GAMES.map((game) => [game.id, game.defaultConfig])) },
  createdAt: '2026-12-07T16:03:38.639Z',
  updatedAt: '2026-12-07T16:03:38.639Z',
};

// player-8's won bet whose credit the demo's wallet refuses (src/demo/demo-data.ts).
const outboxItem = {
  id: DEMO_IDS.outboxBetId,
  betId: DEMO_IDS.outboxBetId,
  playerId: DEMO_OUTBOX_PLAYER,
  status: 'credit_parked',
  kind: 'credit',
  transactionId: DEMO_REFUSED_CREDIT,
  amount: 1980,
  currency: 'EUR',
  attempts: 1,
  lastError: 'CREDIT_REFUSED',
  nextAttemptAt: null,
  createdAt: PLACED_AT,
};

// The demo bet's bet.placed event, delivered to `npm start`'s webhook receiver.
const delivery = {
  id: DEMO_IDS.deliveryId,
  eventId: '9a7b3c2d-1e4f-4a5b-8c6d-7e8f9a0b1c2d',
  eventType: 'bet.placed',
  status: 'delivered',
  attempts: 1,
  lastStatusCode: 204,
  lastError: null,
  nextAttemptAt: null,
  deliveredAt: SETTLED_AT,
  createdAt: SETTLED_AT,
};

interface OperationExamples {
  /** The JSON request body. */
  body?: unknown;
  /** Parameter name → value, for path, query and header parameters. */
  parameters?: Record<string, unknown>;
  /** The success answer: its status and body (JSON, or the text of a text answer). */
  answer: { status: number; body: unknown };
}

const OPERATION_EXAMPLES: Record<string, OperationExamples> = {
  launchSession: {
    parameters: { 'idempotency-key': 'launch-player-7-1' },
    body: { playerId: PLAYER, currency: 'EUR', jurisdiction: 'MT' },
    answer: { status: 201, body: session },
  },
  verifySession: { parameters: { token: SESSION_TOKEN }, answer: { status: 200, body: session } },
  revokeSession: {
    parameters: { token: DEMO_IDS.spareSessionToken },
    answer: {
      status: 200,
      body: { ...session, sessionToken: DEMO_IDS.spareSessionToken, status: 'revoked', active: false, revokedAt: '2026-12-07T16:04:18.472Z', fairness: NEXT_SEEDS },
    },
  },
  listGames: { answer: { status: 200, body: { items: listGames(new Map(GAMES.map((game) => [game.id, game.defaultConfig]))) } } },
  placeBet: { parameters: { 'idempotency-key': DEMO_BET_IDEMPOTENCY_KEY }, body: betRequest, answer: { status: 201, body: bet } },
  listBets: { parameters: { playerId: PLAYER, limit: 10 }, answer: { status: 200, body: { items: [bet], nextCursor: null } } },
  getBet: { parameters: { id: BET_ID }, answer: { status: 200, body: bet } },
  getRound: { parameters: { id: ROUND_ID }, answer: { status: 200, body: round } },
  listPlayerRounds: {
    parameters: { playerId: PLAYER, limit: 10 },
    answer: {
      status: 200,
      body: { items: [{ ...round, bet: { id: BET_ID, amount: 1000, currency: 'EUR', params: bet.params, status: 'lost', payout: 0 } }], nextCursor: null },
    },
  },
  verifyOutcome: {
    parameters: { game: 'dice', serverSeed: SERVER_SEED, clientSeed: CLIENT_SEED, nonce: '0' },
    answer: {
      status: 200,
      body: { game: 'dice', gameVersion: 'dice-1', serverSeedHash: SERVER_SEED_HASH, clientSeed: CLIENT_SEED, nonce: 0, config: { houseEdge: 1 }, outcome: { roll: 99.88 } },
    },
  },
  rotateSeeds: {
    parameters: { token: SESSION_TOKEN },
    answer: { status: 200, body: { previous: { serverSeed: SERVER_SEED, serverSeedHash: SERVER_SEED_HASH, clientSeed: CLIENT_SEED, nonce: 1 }, current: NEXT_SEEDS } },
  },
  listTransactions: {
    parameters: { roundId: ROUND_ID, limit: 10 },
    answer: {
      status: 200,
      body: {
        items: [
          {
            id: `${BET_ID}:debit`,
            kind: 'debit',
            betId: BET_ID,
            roundId: ROUND_ID,
            playerId: PLAYER,
            debitTransactionId: null,
            amount: 1000,
            currency: 'EUR',
            status: 'applied',
            resultCode: null,
            attempts: 1,
            lastError: null,
            nextAttemptAt: null,
            createdAt: PLACED_AT,
            updatedAt: SETTLED_AT,
          },
        ],
        nextCursor: null,
      },
    },
  },
  listAudit: {
    parameters: { playerId: PLAYER, limit: 10 },
    answer: {
      status: 200,
      body: {
        items: [
          { id: '5', action: 'bet.settled', actor: 'system', playerId: PLAYER, betId: BET_ID, data: { amount: 1000, payout: 0, status: 'lost' }, createdAt: SETTLED_AT },
        ],
        nextCursor: null,
      },
    },
  },
  getLimits: { answer: { status: 200, body: limits } },
  replaceLimits: { body: limits, answer: { status: 200, body: limits } },
  listOutbox: { parameters: { limit: 10 }, answer: { status: 200, body: { items: [outboxItem], nextCursor: null, pendingCount: 0, parkedCount: 1 } } },
  // The item as it is when the attempt is queued: the refused credit stays parked, so it can be retried again.
  retryOutboxItem: { parameters: { id: DEMO_IDS.outboxBetId }, answer: { status: 202, body: outboxItem } },
  listWebhookDeliveries: {
    parameters: { status: 'delivered', limit: 10 },
    answer: { status: 200, body: { items: [delivery], nextCursor: null } },
  },
  // A fresh series, due now: sent again to the receiver (an Execute again starts another).
  redeliverWebhook: {
    parameters: { id: DEMO_IDS.deliveryId },
    answer: {
      status: 202,
      body: { ...delivery, status: 'pending', attempts: 0, lastStatusCode: null, nextAttemptAt: '2026-12-07T16:10:00.000Z', deliveredAt: null },
    },
  },
  streamEvents: {
    parameters: { types: 'bet.*', playerId: PLAYER },
    answer: {
      status: 200,
      body:
        'retry: 3000\n\n' +
        `id: 1796659456777-0\nevent: bet.lost\ndata: {"id":"3f1c9e2a-6b7d-4c8e-9f0a-1b2c3d4e5f60","type":"bet.lost","operatorId":"${ALPHA.id}",` +
        `"occurredAt":"${SETTLED_AT}","data":{"betId":"${BET_ID}","playerId":"${PLAYER}","roundId":"${ROUND_ID}","amount":1000,"currency":"EUR"}}\n\n`,
    },
  },
  createOperator: {
    body: { name: 'casino-gamma', walletUrl: 'http://127.0.0.1:4000', walletSecret: 'gamma-wallet-secret-change-me', rateLimitPerSecond: 200 },
    answer: { status: 201, body: { id: '6289b101-2796-4e7c-ae33-ff7dd2c182d1', name: 'casino-gamma', apiKey: 'rgs_Xy-4IWz3nBMQBWT3T1bVCSzJ6SIxPcifVDh_MkDBNIE' } },
  },
  listOperators: { answer: { status: 200, body: { items: [operator], nextCursor: null } } },
  getOperator: { parameters: { id: ALPHA.id }, answer: { status: 200, body: operator } },
  updateOperator: {
    parameters: { id: DEMO_SPARE_OPERATOR.id },
    body: { rateLimitPerSecond: 500 },
    answer: {
      status: 200,
      body: {
        ...operator,
        id: DEMO_SPARE_OPERATOR.id,
        name: DEMO_SPARE_OPERATOR.name,
        webhookUrl: null,
        webhookSecretSet: false,
        rateLimitPerSecond: 500,
        updatedAt: '2026-12-07T16:04:24.919Z',
      },
    },
  },
  rotateOperatorKey: { parameters: { id: DEMO_SPARE_OPERATOR.id }, answer: { status: 200, body: { apiKey: 'rgs_CKJZCtDoBjuv6ZRkqCndcqLNNY5-w-JdMK7WiHi0r4o' } } },
  health: { answer: { status: 200, body: { status: 'ok', nodeId: 'rgs-node-1' } } },
  ready: { answer: { status: 200, body: { status: 'ready', nodeId: 'rgs-node-2', postgres: 'ok', redis: 'ok' } } },
  metrics: {
    answer: {
      status: 200,
      body: '# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.\n# TYPE process_cpu_user_seconds_total counter\nprocess_cpu_user_seconds_total 1.470328\n',
    },
  },
};

interface ExampleTarget {
  example?: unknown;
}

/**
 * Puts each operation's examples into the document: on its parameters, its request body
 * and its success answer. Throws for an operation with no examples, or examples for a
 * parameter, body or status it does not have, so the document cannot lose them silently.
 */
export function withExamples(document: OpenApiDocument): void {
  const seen = new Set<string>();
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(pathItem as Record<string, { operationId?: string; parameters?: unknown[]; requestBody?: unknown; responses?: unknown }>)) {
      const id = operation.operationId;
      if (!id) continue;
      const examples = OPERATION_EXAMPLES[id];
      if (!examples) throw new Error(`OpenAPI operation ${id} has no examples (src/http/openapi/examples.ts)`);
      seen.add(id);
      const parameters = (operation.parameters ?? []) as (ExampleTarget & { name: string })[];
      for (const [name, value] of Object.entries(examples.parameters ?? {})) {
        const parameter = parameters.find((candidate) => candidate.name === name);
        if (!parameter) throw new Error(`OpenAPI operation ${id} has no parameter ${name}`);
        parameter.example = value;
      }
      if (examples.body !== undefined) {
        const media = (operation.requestBody as { content?: Record<string, ExampleTarget> } | undefined)?.content?.['application/json'];
        if (!media) throw new Error(`OpenAPI operation ${id} takes no JSON body`);
        media.example = examples.body;
      }
      const answer = (operation.responses as Record<string, { content?: Record<string, ExampleTarget> }>)[String(examples.answer.status)];
      const contents = Object.values(answer?.content ?? {});
      if (contents.length === 0) throw new Error(`OpenAPI operation ${id} has no ${examples.answer.status} answer with a body`);
      for (const content of contents) content.example = examples.answer.body;
    }
  }
  const unused = Object.keys(OPERATION_EXAMPLES).filter((id) => !seen.has(id));
  if (unused.length > 0) throw new Error(`examples for operations the document does not have: ${unused.join(', ')}`);
}
