import type { SpyReport } from '../walletmock/outcome-spy.ts';
import { requestJson } from './http.ts';
import type { ChaosOperator } from './operators.ts';

// Issue #17 §1 under chaos: the wallet mock plays an operator's wallet that looks every
// bet up through the operator API while it holds the bet's debit (PUT /__spy). Nothing
// may show the outcome then, or a wallet could refuse exactly the winning debits. The
// check is pure: the run reads GET /__spy, this judges it.

export type { SpyReport };

const SHOW = 5;

/** Turns the spy on: every node of the run (it looks past a dead one) and both operators' keys. */
export async function startOutcomeSpy(walletUrl: string, nodeUrls: string[], operators: ChaosOperator[]): Promise<void> {
  const keys = Object.fromEntries(operators.map((operator) => [operator.id, operator.apiKey]));
  const answer = await requestJson('PUT', `${walletUrl}/__spy`, { body: { rgsUrl: nodeUrls, keys } });
  if (answer.status !== 200) throw new Error(`wallet spy not set: ${answer.status} ${JSON.stringify(answer.body)}`);
}

export async function readOutcomeSpy(walletUrl: string): Promise<SpyReport> {
  const answer = await requestJson<SpyReport>('GET', `${walletUrl}/__spy`);
  if (answer.status !== 200) throw new Error(`wallet spy not read: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export interface OutcomeFigures {
  /** Debits whose bet the wallet found while it held the debit. */
  outcomeLookups: number;
  /** Of those, debits whose bet or round showed the outcome: must be 0. */
  outcomeLeaks: number;
}

/** Judges the spy's report; `null` when the run had no adversary (nothing was looked up). */
export function checkOutcomeSpy(report: SpyReport | null): { figures: OutcomeFigures; failures: string[] } {
  if (report === null) return { figures: { outcomeLookups: 0, outcomeLeaks: 0 }, failures: [] };
  const failures: string[] = [];
  if (report.leaks > 0) {
    const samples = report.examples
      .slice(0, SHOW)
      .map((example) => `bet ${example.betId} (${example.route}: status ${String(example.status)}, outcome ${JSON.stringify(example.outcome)}, payout ${String(example.payout)})`);
    failures.push(`outcome: ${report.leaks} of ${report.lookups} debits looked up while the wallet held them showed the outcome, e.g. ${samples.join('; ')}`);
  }
  // A spy that found no bet proves nothing: a run with the adversary must have looked.
  if (report.lookups === 0) failures.push(`outcome: the wallet found no bet to look up (${report.errors} lookups failed, ${report.skipped} skipped)`);
  return { figures: { outcomeLookups: report.lookups, outcomeLeaks: report.leaks }, failures };
}
