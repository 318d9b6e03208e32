import { Pool } from 'undici';
import { answeredBetStatus, createLevelRecorder, nextBet, type LevelResult } from './load.ts';

// One open-loop level: bets are sent at a fixed rate whether or not earlier ones were
// answered, spread evenly over the nodes, and each latency runs from the moment its
// request was due, so a request that waited for a free connection, or for the generator
// itself, counts that wait (no coordinated omission). This answers "what is the p99 at
// N bets/s offered", which is how an operator's traffic arrives; the closed-loop levels
// (load.ts) answer "how many bets/s at most". autocannon's own rate option sends each
// second's quota in a burst, hence this generator.

export interface PacedLevelOptions {
  urls: string[];
  ratePerS: number;
  durationS: number;
  apiKey: string;
  tokens: string[];
  keyPrefix: string;
  /** Connections per node at most; a request beyond them waits in the client, and that wait counts. */
  connectionsPerUrl: number;
}

const TIMEOUT_MS = 10_000;
const TICK_MS = 1;

export async function runPacedLevel(options: PacedLevelOptions): Promise<LevelResult> {
  const pools = options.urls.map(
    (url) => new Pool(url, { connections: options.connectionsPerUrl, pipelining: 1, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS }),
  );
  const recorder = createLevelRecorder(options.urls.length);
  let timeouts = 0;
  let socketErrors = 0;

  async function send(index: number, dueAt: number): Promise<void> {
    const node = index % pools.length;
    const { headers, body } = nextBet(options.apiKey, options.tokens, options.keyPrefix);
    try {
      const response = await pools[node]!.request({ method: 'POST', path: '/bets', headers, body });
      const text = await response.body.text();
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      recorder.answer(node, response.statusCode, performance.now() - dueAt, ok ? answeredBetStatus(text) : undefined);
      if (!ok) recorder.problem(response.statusCode, text);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (/timeout/i.test(message)) timeouts += 1;
      else socketErrors += 1;
      recorder.error(message);
    }
  }

  const total = Math.round(options.ratePerS * options.durationS);
  const intervalMs = 1000 / options.ratePerS;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; sent < due; sent++) pending.push(send(sent, start + sent * intervalMs));
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
  await Promise.all(pools.map((pool) => pool.close()));

  return recorder.result({ connections: options.connectionsPerUrl * options.urls.length, durationS: options.durationS, socketErrors, timeouts });
}
