import { setTimeout as sleep } from 'node:timers/promises';
import type { operations } from '../clients/typescript/schema.ts';
import { REQUEST_TIMEOUT_MS, type HttpTally } from './http.ts';
import type { ChaosOperator, ChaosPlayer } from './operators.ts';
import { seededRandom } from './random.ts';

// The steady bet load: `concurrency` workers place bets for players of both operators on
// random nodes. Every bet is one Idempotency-Key; a request that gets no answer, a 5xx
// or 409 REQUEST_IN_PROGRESS is sent again with the same key to another node (SPEC §3),
// so a node dying mid-request never makes a second bet. A few bets are also sent twice at
// once to two nodes: both answers must name the same bet. Bet i's player, stake, target
// and nodes derive from (seed, i) alone. Requests go through the generated client
// (clients/typescript), each to the node it picks (`baseUrl`).

const MAX_ATTEMPTS = 120;
const DOUBLE_SUBMIT_RATE = 0.03;
const READ_BACK_RATE = 0.05;

type PlaceBetBody = operations['placeBet']['requestBody']['content']['application/json'];

interface BetAnswer {
  id: string;
  status: string;
}

export interface LoadResult {
  /** Idempotency key → the bet id the RGS answered. */
  bets: Map<string, string>;
  /** Bets that never got a 201/202 within MAX_ATTEMPTS. */
  unanswered: number;
  /** Two answers for one key that named different bets. */
  idempotencyMismatches: string[];
}

export interface Load {
  /** Bets started so far (the schedule's clock). */
  readonly started: number;
  done: Promise<LoadResult>;
}

export function startLoad(options: {
  bets: number;
  concurrency: number;
  seed: number;
  runId: string;
  operators: ChaosOperator[];
  nodeUrls: () => string[];
  tally: HttpTally;
}): Load {
  const { tally } = options;
  const players: { operator: ChaosOperator; player: ChaosPlayer }[] = options.operators.flatMap((operator) => operator.players.map((player) => ({ operator, player })));
  const result: LoadResult = { bets: new Map(), unanswered: 0, idempotencyMismatches: [] };
  let started = 0;

  /** Sends one bet until some node answers it for good; returns the bet, or undefined if none did. */
  async function submit(index: number, lane: string, operator: ChaosOperator, body: PlaceBetBody, key: string): Promise<BetAnswer | undefined> {
    const random = seededRandom(options.seed, 'bet-nodes', index, lane);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const url = random.pick(options.nodeUrls());
      try {
        const { data, error, response } = await operator.client.POST('/bets', {
          baseUrl: url,
          params: { header: { 'idempotency-key': key } },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const inProgress = response.status === 409 && error?.code === 'REQUEST_IN_PROGRESS';
        tally.answer('POST /bets', response.status, data ?? error, { expected4xx: inProgress });
        if (data) return data;
        if (response.status === 429) await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
        else if (response.status < 500 && !inProgress) return undefined; // a refusal: asking again changes nothing
      } catch (error) {
        tally.connectionError('POST /bets', error);
      }
      await sleep(random.int(50, 250));
    }
    return undefined;
  }

  async function readBack(index: number, operator: ChaosOperator, betId: string): Promise<void> {
    const url = seededRandom(options.seed, 'read-back', index).pick(options.nodeUrls());
    try {
      const answer = await operator.client.GET('/bets/{id}', { baseUrl: url, params: { path: { id: betId } }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      tally.answer('GET /bets/:id', answer.response.status, answer.data ?? answer.error);
    } catch (error) {
      tally.connectionError('GET /bets/:id', error);
    }
  }

  async function placeOne(index: number): Promise<void> {
    const random = seededRandom(options.seed, 'bet', index);
    const { operator, player } = random.pick(players);
    const direction = random.chance(0.5) ? 'over' : 'under';
    // Win chance between 3 % and 97 %, with up to two decimals (SPEC §5).
    const target = random.int(300, 9_700) / 100;
    const body: PlaceBetBody = { sessionToken: player.sessionToken, amount: random.int(1, 20) * 50, game: 'dice', params: { target, direction } };
    const key = `chaos-${options.runId}-${index}`;
    const twice = random.chance(DOUBLE_SUBMIT_RATE);
    const answers = await Promise.all([submit(index, 'first', operator, body, key), ...(twice ? [submit(index, 'second', operator, body, key)] : [])]);
    const ids = new Set(answers.filter((answer) => answer !== undefined).map((answer) => answer.id));
    if (ids.size === 0) {
      result.unanswered += 1;
      return;
    }
    if (ids.size > 1) result.idempotencyMismatches.push(`${key}: ${[...ids].join(' ≠ ')}`);
    const betId = [...ids][0]!;
    result.bets.set(key, betId);
    if (random.chance(READ_BACK_RATE)) await readBack(index, operator, betId);
  }

  const worker = async () => {
    while (started < options.bets) {
      const index = started++;
      await placeOne(index);
    }
  };
  const done = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => result);
  return {
    get started() {
      return started;
    },
    done,
  };
}
