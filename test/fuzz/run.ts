import http from 'node:http';
import fc from 'fast-check';
import { appRoutes } from '../support/app-routes.ts';
import { fuzzCases, staleCatalogEntries, type FuzzCase } from './requests.ts';
import { stateDiff, type FuzzTarget } from './target.ts';
import { send, type WireAnswer } from './wire.ts';

// SPEC §3/§10.4 as a property: every request that is invalid in at least one respect,
// to every endpoint, is answered 4xx application/problem+json with a string `code`
// (never 2xx, never 5xx), and leaves every table of the database as it was.

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Called every `every` cases with the number run so far. */
  progress?: { every: number; report(done: number): void };
}

export interface FuzzReport {
  runs: number;
  seed: number;
  durationMs: number;
  /** Answers by HTTP status, over every request sent (shrinking included). */
  statuses: Record<string, number>;
  /** Cases sent per route (`METHOD /path`), shrinking included. */
  byRoute: Record<string, number>;
  /** Set when the property failed: the shrunk counterexample and what was wrong. */
  failure?: string;
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

/** What is wrong with an answer to a case; empty when it is right. */
export function judge(fuzzCase: FuzzCase, answer: WireAnswer): string[] {
  if (fuzzCase.expect === 'stream-reset') {
    const firstEvent = /^event: ?(.*)$/m.exec(answer.text)?.[1];
    if (answer.status !== 200 || !answer.contentType.startsWith('text/event-stream')) return [`expected a 200 event stream, got ${answer.status} ${answer.contentType}`];
    return firstEvent === 'stream.reset' ? [] : [`expected stream.reset first, got ${firstEvent ?? 'no event'}`];
  }
  const wrong: string[] = [];
  if (answer.status < 400 || answer.status > 499) wrong.push(`status ${answer.status}`);
  if (!answer.contentType.startsWith('application/problem+json')) wrong.push(`content-type ${JSON.stringify(answer.contentType)}`);
  let problem: { code?: unknown; status?: unknown } | undefined;
  try {
    problem = JSON.parse(answer.text) as typeof problem;
  } catch {
    wrong.push('body is not JSON');
  }
  if (problem && (typeof problem.code !== 'string' || problem.code === '')) wrong.push('no code');
  if (problem && problem.status !== answer.status) wrong.push(`body status ${String(problem.status)} ≠ ${answer.status}`);
  return wrong;
}

export function describeCase(fuzzCase: FuzzCase): string {
  const { request } = fuzzCase;
  const headers = Object.entries(request.headers).map(([name, value]) => `  ${name}: ${cut(JSON.stringify(value), 200)}`);
  const body = request.body === undefined ? '  (no body)' : `  body: ${cut(JSON.stringify(request.body.toString()), 400)}`;
  return [`${fuzzCase.route} — breaker: ${fuzzCase.breaker}`, `  ${request.method} ${cut(request.path, 300)}`, ...headers, body].join('\n');
}

/** Runs the property against a running target; never throws for a failed property (see `failure`). */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const routes = appRoutes();
  const stale = staleCatalogEntries(routes, target.fixtures);
  if (stale.length) throw new Error(`test/fuzz/catalog.ts describes routes the app no longer has: ${stale.join(', ')}`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const statuses: Record<string, number> = {};
  const byRoute: Record<string, number> = Object.fromEntries(routes.map((route) => [`${route.method} ${route.path}`, 0]));
  let known = await target.state();
  let done = 0;
  const started = Date.now();

  const property = fc.asyncProperty(fuzzCases(routes, target.fixtures), async (fuzzCase) => {
    byRoute[fuzzCase.route] = (byRoute[fuzzCase.route] ?? 0) + 1;
    let answer: WireAnswer;
    try {
      answer = await send(fuzzCase.listener === 'admin' ? target.adminUrl : target.baseUrl, fuzzCase.request, agent);
    } catch (error) {
      statuses['no answer'] = (statuses['no answer'] ?? 0) + 1;
      throw new Error(`no answer: ${(error as Error).message}`, { cause: error });
    }
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    const wrong = judge(fuzzCase, answer);
    const now = await target.state();
    const changed = stateDiff(known, now);
    known = now;
    if (changed.length) wrong.push(`the database changed: ${changed.join('; ')}`);
    done++;
    if (options.progress && done % options.progress.every === 0) options.progress.report(done);
    if (wrong.length) throw new Error(`${wrong.join('; ')}\n  answer: ${answer.status} ${answer.contentType} ${cut(answer.text, 300)}`);
  });

  const details = await fc.check(property, { numRuns: options.runs, seed: options.seed });
  agent.destroy();
  const report: FuzzReport = { runs: details.numRuns, seed: details.seed, durationMs: Date.now() - started, statuses, byRoute };
  if (details.failed) {
    const counterexample = details.counterexample?.[0];
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    report.failure = [
      `failed after ${details.numRuns} cases (${details.numShrinks} shrinks); replay with FUZZ_SEED=${details.seed} (path ${details.counterexamplePath})`,
      counterexample ? describeCase(counterexample) : '(no counterexample)',
      `  → ${error}`,
    ].join('\n');
  }
  return report;
}
