import { randomBytes } from 'node:crypto';
import type { BenchTarget } from './cluster.ts';
import { config, runId } from './config.ts';

export interface BenchOperator {
  id: string;
  apiKey: string;
}

async function post<T>(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: T }> {
  const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await answer.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: answer.status, body: parsed as T };
}

/** The run's own operator, through the admin API (BENCH_WEBHOOKS=1: with the receiver as its webhook). */
export async function createOperator(target: BenchTarget, webhookUrl: string | undefined): Promise<BenchOperator> {
  const created = await post<BenchOperator>(
    `${target.adminUrl}/admin/operators`,
    {
      name: `bench-${runId}`,
      // An operator's own wallet needs its own secret (SPEC §6); without one known, the
      // operator uses the nodes' default wallet (their WALLET_URL, then BENCH_WALLET_URL's mock).
      ...(target.walletSecret && { walletUrl: target.walletUrl, walletSecret: target.walletSecret }),
      ...(webhookUrl && { webhookUrl, webhookSecret: randomBytes(16).toString('hex') }),
      // SPEC §3's default limit (1,000 requests/s per operator) would cap the benchmark.
      rateLimitPerSecond: 1_000_000,
    },
    { authorization: `Bearer ${target.adminToken}` },
  );
  if (created.status !== 201) throw new Error(`operator not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/**
 * Launches one session per player through POST /sessions/launch, alternating nodes: players
 * `from` to `to - 1` (BENCH_PLAYERS by default; the SSE phase launches more for its filtered clients).
 */
export async function launchSessions(target: BenchTarget, apiKey: string, playerPrefix: string, from = 0, to = config.players): Promise<string[]> {
  const tokens: string[] = new Array(to - from);
  let next = from;
  const failures: string[] = [];
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= to) return;
      const node = target.nodeUrls[index % target.nodeUrls.length]!;
      const launched = await post<{ sessionToken: string }>(
        `${node}/sessions/launch`,
        { playerId: `${playerPrefix}${index}`, currency: 'EUR', jurisdiction: 'MT' },
        { 'x-operator-key': apiKey },
      );
      if (launched.status === 201) tokens[index - from] = launched.body.sessionToken;
      else if (failures.length < 5) failures.push(`${launched.status} ${JSON.stringify(launched.body)}`);
      else failures.push('');
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  if (failures.length) throw new Error(`${failures.length} of ${to - from} session launches failed, e.g.:\n${failures.filter(Boolean).join('\n')}`);
  return tokens;
}
