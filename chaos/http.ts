// The harness's HTTP: one JSON request helper, and the tally every request is counted in,
// by route and answer. SPEC §3 and §10.4:
// a well-formed request that reaches a live node never gets a 5xx. A request that never
// reached one (connection refused or cut by a killed node) is not an answer: it is counted
// apart, and retried elsewhere, as an operator behind a load balancer would.

const SAMPLES = 5;
/** How long the harness waits for an answer from a node that is up. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface HttpTally {
  /** `"POST /bets 201"` → count. */
  answers: Map<string, number>;
  http5xx: number;
  /** 4xx answers the harness did not provoke (its requests are all well-formed). */
  unexpected4xx: number;
  /** 429s: not an error, but worth seeing (the operators' limits are set high). */
  rateLimited: number;
  connectionErrors: number;
  /** Requests that got no answer within their timeout (from a node that was up). */
  timeouts: number;
  samples: string[];
  answer(route: string, status: number, body: unknown, options?: { expected4xx?: boolean }): void;
  connectionError(route: string, error: unknown): void;
}

export function createHttpTally(): HttpTally {
  const tally: HttpTally = {
    answers: new Map(),
    http5xx: 0,
    unexpected4xx: 0,
    rateLimited: 0,
    connectionErrors: 0,
    timeouts: 0,
    samples: [],
    answer(route, status, body, options = {}) {
      const key = `${route} ${status}`;
      tally.answers.set(key, (tally.answers.get(key) ?? 0) + 1);
      if (status === 429) tally.rateLimited += 1;
      else if (status >= 500) {
        tally.http5xx += 1;
        if (tally.samples.length < SAMPLES) tally.samples.push(`${key}: ${JSON.stringify(body).slice(0, 300)}`);
      } else if (status >= 400 && !options.expected4xx) {
        tally.unexpected4xx += 1;
        if (tally.samples.length < SAMPLES) tally.samples.push(`${key}: ${JSON.stringify(body).slice(0, 300)}`);
      }
    },
    connectionError(route, error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      if (timedOut) tally.timeouts += 1;
      else tally.connectionErrors += 1;
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? (error as Error).name;
      const key = `${route} ${timedOut ? 'timeout' : `connection-error(${cause})`}`;
      tally.answers.set(key, (tally.answers.get(key) ?? 0) + 1);
    },
  };
  return tally;
}

/** One request with a JSON body and answer; throws only when no answer came (connection error or timeout). */
export async function requestJson<T = unknown>(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<{ status: number; headers: Headers; body: T }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}
