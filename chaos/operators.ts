import { randomBytes } from 'node:crypto';
import { startWebhookReceiver, type WebhookReceiver } from '../test/support/webhook-receiver.ts';
import { CHAOS_ADMIN_TOKEN, type ChaosCluster } from './cluster.ts';
import { requestJson, type HttpTally } from './http.ts';
import { seededRandom } from './random.ts';

// Two operators, as an ops person sets them up: each with its own wallet secret, its own
// webhook receiver and secret, and a rate limit high enough that the load is not throttled.
// Players launch sessions through random nodes; a few start nearly broke, so some debits
// are refused (402) and those bets end `rejected`.

export const START_BALANCE = 10_000_000;
const POOR_BALANCE = 3_000;
const POOR_PLAYERS_PER_OPERATOR = 2;

export interface ChaosPlayer {
  operator: number;
  playerId: string;
  sessionToken: string;
  startBalance: number;
}

export interface ChaosOperator {
  index: number;
  id: string;
  apiKey: string;
  webhookSecret: string;
  receiver: WebhookReceiver;
  players: ChaosPlayer[];
}

async function withRetries<T>(what: string, attempt: (round: number) => Promise<T | undefined>): Promise<T> {
  for (let round = 0; round < 20; round++) {
    const result = await attempt(round);
    if (result !== undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: no success after 20 attempts`);
}

export async function setUpOperators(options: {
  cluster: ChaosCluster;
  runId: string;
  playersPerOperator: number;
  seed: number;
  tally: HttpTally;
}): Promise<ChaosOperator[]> {
  const { cluster, tally } = options;
  const operators: ChaosOperator[] = [];
  for (const index of [0, 1]) {
    const webhookSecret = `chaos-webhook-${index}-${randomBytes(8).toString('hex')}`;
    const receiver = await startWebhookReceiver({ secret: webhookSecret });
    const created = await requestJson<{ id: string; apiKey: string }>('POST', `${cluster.adminUrls()[0]}/admin/operators`, {
      headers: { authorization: `Bearer ${CHAOS_ADMIN_TOKEN}` },
      body: {
        name: `chaos-${options.runId}-${index}`,
        walletUrl: cluster.walletUrl,
        walletSecret: cluster.walletSecrets[index],
        webhookUrl: receiver.url,
        webhookSecret,
        rateLimitPerSecond: 1_000_000,
      },
    });
    tally.answer('POST /admin/operators', created.status, created.body);
    if (created.status !== 201) throw new Error(`operator not created: ${created.status} ${JSON.stringify(created.body)}`);
    operators.push({ index, id: created.body.id, apiKey: created.body.apiKey, webhookSecret, receiver, players: [] });
  }

  const launches = operators.flatMap((operator) =>
    Array.from({ length: options.playersPerOperator }, (_, n) => ({ operator, n, playerId: `chaos-${options.runId}-op${operator.index}-p${n}` })),
  );
  let next = 0;
  const launchNext = async (): Promise<void> => {
    for (let item = launches[next++]; item; item = launches[next++]) {
      const { operator, n, playerId } = item;
      const poor = n < POOR_PLAYERS_PER_OPERATOR;
      if (poor) {
        const set = await requestJson('PUT', `${cluster.walletUrl}/__players/${encodeURIComponent(playerId)}?operatorId=${operator.id}`, { body: { balance: { EUR: POOR_BALANCE } } });
        if (set.status !== 200) throw new Error(`wallet mock refused the balance of ${playerId}: ${set.status}`);
      }
      const nodeChoice = seededRandom(options.seed, 'launch', playerId).int(0, 1_000_000);
      const sessionToken = await withRetries(`launching ${playerId}`, async (round) => {
        const urls = cluster.nodeUrls();
        const url = urls[(nodeChoice + round) % urls.length]!;
        try {
          const launched = await requestJson<{ sessionToken: string }>('POST', `${url}/sessions/launch`, {
            headers: { 'x-operator-key': operator.apiKey, 'idempotency-key': `launch-${playerId}` },
            body: { playerId, currency: 'EUR', jurisdiction: 'MT' },
          });
          tally.answer('POST /sessions/launch', launched.status, launched.body);
          return launched.status === 201 ? launched.body.sessionToken : undefined;
        } catch (error) {
          tally.connectionError('POST /sessions/launch', error);
          return undefined;
        }
      });
      operator.players[n] = { operator: operator.index, playerId, sessionToken, startBalance: poor ? POOR_BALANCE : START_BALANCE };
    }
  };
  await Promise.all(Array.from({ length: 8 }, launchNext));
  return operators;
}
