import autocannon from 'autocannon';

// One load level: an autocannon instance per node, in parallel, each with its share of
// the connections. Every request carries a unique Idempotency-Key and the next session
// token round-robin, so no two requests are repeats and the players' row locks rarely
// meet. Statuses, latencies and errors are counted here from autocannon's events (its
// own latency histogram keeps 2xx only, and two instances' percentiles cannot be added).

export interface LevelOptions {
  urls: string[];
  connections: number;
  durationS: number;
  apiKey: string;
  tokens: string[];
  /** Prefix of the Idempotency-Keys; a counter makes each one unique. */
  keyPrefix: string;
}

export interface LevelResult {
  connections: number;
  durationS: number;
  /** Count per HTTP status. */
  statuses: Map<number, number>;
  /** "status code" of non-2xx answers (problem+json code), with counts. */
  problems: Map<string, number>;
  /** First few non-2xx bodies, verbatim (truncated). */
  problemSamples: string[];
  socketErrors: number;
  timeouts: number;
  /** Socket error messages with counts. */
  errorMessages: Map<string, number>;
  /** 2xx answers from each URL, in the order of `urls`. */
  answeredByUrl: number[];
  /** Latency of every answered request, ms, sorted ascending. */
  latencies: Float64Array;
  /** Latencies of the 2xx answers (sorted), by the bet's status in the answer ("won", "lost", …). */
  latenciesByState: Map<string, Float64Array>;
  /** Latencies of the 2xx answers (sorted) of each URL, in the order of `urls`. */
  latenciesByUrl: Float64Array[];
}

export const BET_BODY = { amount: 100, game: 'dice', params: { target: 50, direction: 'under' } } as const;

// The bet's own status is the first "status" key of its JSON (SPEC §3 bet shape); a
// regular expression costs the load generator far less than parsing every answer.
const BET_STATUS = /"status":"([a-z_]+)"/;

let sequence = 0;
let nextToken = 0;

/** A new bet's headers and body: a unique Idempotency-Key, the next player's session round-robin. */
export function nextBet(apiKey: string, tokens: string[], keyPrefix: string): { headers: Record<string, string>; body: string } {
  const sessionToken = tokens[nextToken++ % tokens.length];
  return {
    headers: { 'content-type': 'application/json', 'x-operator-key': apiKey, 'idempotency-key': `${keyPrefix}-${++sequence}` },
    body: JSON.stringify({ sessionToken, ...BET_BODY }),
  };
}

/** The bet's status in a 2xx answer ("won", "lost", …). */
export function answeredBetStatus(body: string): string {
  return BET_STATUS.exec(body)?.[1] ?? 'unknown';
}

function increment<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** What one level saw, as its answers come in; both generators (closed and open loop) fill one. */
export function createLevelRecorder(urlCount: number) {
  const statuses = new Map<number, number>();
  const problems = new Map<string, number>();
  const problemSamples: string[] = [];
  const errorMessages = new Map<string, number>();
  const latencies: number[] = [];
  const byState = new Map<string, number[]>();
  const byUrl = Array.from({ length: urlCount }, (): number[] => []);
  return {
    /** An answer from the node at `urlIndex`; `state` is the bet's status for a 2xx. */
    answer(urlIndex: number, status: number, latencyMs: number, state: string | undefined): void {
      increment(statuses, status);
      latencies.push(latencyMs);
      if (status < 200 || status >= 300) return;
      byUrl[urlIndex]!.push(latencyMs);
      if (state === undefined) return;
      const list = byState.get(state) ?? [];
      list.push(latencyMs);
      byState.set(state, list);
    },
    /** Counts a non-2xx answer by its problem+json code, and keeps the first few verbatim. */
    problem(status: number, body: string): void {
      let code = 'non-json';
      try {
        code = String((JSON.parse(body) as { code?: unknown }).code ?? 'no-code');
      } catch {
        // keep "non-json"
      }
      increment(problems, `${status} ${code}`);
      if (problemSamples.length < 5) problemSamples.push(`${status} ${body.slice(0, 400)}`);
    },
    error(message: string): void {
      increment(errorMessages, message);
    },
    result(run: Pick<LevelResult, 'connections' | 'durationS' | 'socketErrors' | 'timeouts'>): LevelResult {
      return {
        ...run,
        statuses,
        problems,
        problemSamples,
        errorMessages,
        answeredByUrl: byUrl.map((list) => list.length),
        latencies: Float64Array.from(latencies).sort(),
        latenciesByState: new Map([...byState].map(([state, list]) => [state, Float64Array.from(list).sort()])),
        latenciesByUrl: byUrl.map((list) => Float64Array.from(list).sort()),
      };
    },
  };
}

/** Splits `total` connections over `parts` instances as evenly as possible. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));
}

export async function runLevel(options: LevelOptions): Promise<LevelResult> {
  const recorder = createLevelRecorder(options.urls.length);
  const perInstance = split(options.connections, options.urls.length);

  const runs = options.urls.flatMap((url, index) => {
    const connections = perInstance[index] ?? 0;
    if (connections === 0) return [];
    // autocannon calls onResponse and then emits 'response' for the same answer, synchronously.
    let answeredState: string | undefined;
    return [
      new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url,
            connections,
            duration: options.durationS,
            timeout: 10,
            pipelining: 1,
            requests: [
              {
                method: 'POST',
                path: '/bets',
                setupRequest: (request) => ({ ...request, method: 'POST', path: '/bets', ...nextBet(options.apiKey, options.tokens, options.keyPrefix) }),
                onResponse: (status, body) => {
                  if (status >= 200 && status < 300) answeredState = answeredBetStatus(body);
                  else recorder.problem(status, body);
                },
              },
            ],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        );
        instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
          recorder.answer(index, statusCode, responseTime, answeredState);
          answeredState = undefined;
        });
        instance.on('reqError', (error: Error) => recorder.error(error.message));
      }),
    ];
  });
  const results = await Promise.all(runs);
  return recorder.result({
    connections: options.connections,
    durationS: results.reduce((sum, result) => sum + result.duration, 0) / Math.max(1, results.length),
    socketErrors: results.reduce((sum, result) => sum + result.errors - result.timeouts, 0),
    timeouts: results.reduce((sum, result) => sum + result.timeouts, 0),
  });
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function countOf(result: LevelResult, predicate: (status: number) => boolean): number {
  let total = 0;
  for (const [status, count] of result.statuses) if (predicate(status)) total += count;
  return total;
}
