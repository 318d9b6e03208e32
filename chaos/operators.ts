import { randomBytes } from 'node:crypto';
import { createRgsAdminClient, createRgsClient, type RgsClient } from '../clients/typescript/index.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../test/support/webhook-receiver.ts';
import { CHAOS_ADMIN_TOKEN, type ChaosCluster } from './cluster.ts';
import { REQUEST_TIMEOUT_MS, requestJson, type HttpTally } from './http.ts';
import { seededRandom } from './random.ts';

// Two operators, as an ops person sets them up: each with its own wallet secret, its own
// webhook receiver and secret, and a rate limit high enough that the load is not throttled.
// Players launch sessions through random nodes; a few start nearly broke, so some debits
// are refused (402) and those bets end `rejected`. The harness calls the RGS through the
// generated client (clients/typescript), as an operator would: a document that disagrees
// with the server breaks the chaos build or its tally, not an operator's integration.

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
  /** The operator API with this operator's key; each request names the node (`baseUrl`). */
  client: RgsClient;
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
  const admin = createRgsAdminClient({ baseUrl: cluster.adminUrls()[0]!, adminToken: CHAOS_ADMIN_TOKEN });
  for (const index of [0, 1]) {
    const webhookSecret = `chaos-webhook-${index}-${randomBytes(8).toString('hex')}`;
    const receiver = await startWebhookReceiver({ secret: webhookSecret });
    const created = await admin.POST('/admin/operators', {
      body: {
        name: `chaos-${options.runId}-${index}`,
        walletUrl: cluster.walletUrl,
        walletSecret: cluster.walletSecrets[index],
        webhookUrl: receiver.url,
        webhookSecret,
        rateLimitPerSecond: 1_000_000,
      },
    });
    tally.answer('POST /admin/operators', created.response.status, created.data ?? created.error);
    if (!created.data) throw new Error(`operator not created: ${created.response.status} ${JSON.stringify(created.error)}`);
    const { id, apiKey } = created.data;
    // The base URL is a placeholder: every call names the node it goes to.
    const client = createRgsClient({ baseUrl: cluster.nodeUrls()[0]!, operatorKey: apiKey });
    operators.push({ index, id, apiKey, client, webhookSecret, receiver, players: [] });
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
          const launched = await operator.client.POST('/sessions/launch', {
            baseUrl: url,
            params: { header: { 'idempotency-key': `launch-${playerId}` } },
            body: { playerId, currency: 'EUR', jurisdiction: 'MT' },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          tally.answer('POST /sessions/launch', launched.response.status, launched.data ?? launched.error);
          return launched.response.status === 201 ? launched.data?.sessionToken : undefined;
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
