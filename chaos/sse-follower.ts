import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpTally } from './http.ts';
import { seededRandom } from './random.ts';

// An operator's SSE client as a browser's EventSource behaves (SPEC §7): it keeps the last
// `id:` it saw and, whenever its connection ends — the server ended it, the node was
// killed, or the harness cut it — reconnects to a random node with `Last-Event-ID`.
// It keeps only what the invariants need: each event's stream id and event id, and where
// a `stream.reset` came.

export type FollowerFrame =
  | { kind: 'event'; streamId: string; eventId: string; type: string }
  | { kind: 'reset'; reason: string }
  | { kind: 'end'; reason: string };

export interface SseFollower {
  name: string;
  operatorId: string;
  frames: FollowerFrame[];
  lastEventId: string | undefined;
  connections: number;
  /** Cuts the current connection; the follower reconnects elsewhere. */
  cut(): void;
  stop(): Promise<void>;
}

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 400;

export function startSseFollower(options: {
  name: string;
  operatorId: string;
  apiKey: string;
  nodeUrls: () => string[];
  seed: number;
  tally: HttpTally;
}): SseFollower {
  const random = seededRandom(options.seed, 'sse', options.name);
  let current: http.ClientRequest | undefined;
  let stopped = false;

  const follower: SseFollower = {
    name: options.name,
    operatorId: options.operatorId,
    frames: [],
    lastEventId: undefined,
    connections: 0,
    cut: () => current?.destroy(),
    async stop() {
      stopped = true;
      current?.destroy();
      await loop;
    },
  };

  function onBlock(block: { id?: string; event?: string; data: string[] }): void {
    if (block.data.length === 0) return;
    // Like EventSource: the id counts once its event is dispatched, not when its line arrives.
    if (block.id !== undefined) follower.lastEventId = block.id;
    const type = block.event ?? 'message';
    const data = block.data.join('\n');
    if (type === 'stream.reset' || type === 'stream.end') {
      const reason = (JSON.parse(data) as { reason?: string }).reason ?? '';
      follower.frames.push(type === 'stream.reset' ? { kind: 'reset', reason } : { kind: 'end', reason });
      return;
    }
    const event = JSON.parse(data) as { id: string; type: string };
    follower.frames.push({ kind: 'event', streamId: block.id ?? '', eventId: event.id, type: event.type });
  }

  /** One connection, until it ends; resolves either way. */
  function connectOnce(baseUrl: string): Promise<void> {
    return new Promise((resolve) => {
      const headers: Record<string, string> = { accept: 'text/event-stream', 'x-operator-key': options.apiKey };
      if (follower.lastEventId !== undefined) headers['last-event-id'] = follower.lastEventId;
      const request = http.get(new URL('/stream', baseUrl), { headers, agent: false });
      current = request;
      let answered = false;
      request.once('error', (error) => {
        // An error before any answer: the node was down (or was killed as we connected).
        if (!answered) options.tally.connectionError('GET /stream', error);
        resolve();
      });
      request.once('response', (response) => {
        answered = true;
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.once('end', () => {
            options.tally.answer('GET /stream', status, body);
            resolve();
          });
          response.once('error', () => resolve());
          return;
        }
        options.tally.answer('GET /stream', status, undefined);
        follower.connections += 1;
        let pending = '';
        let block: { id?: string; event?: string; data: string[] } = { data: [] };
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split(/\r\n|\r|\n/);
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (line === '') {
              onBlock(block);
              block = { data: [] };
              continue;
            }
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') block.data.push(value);
            else if (field === 'event') block.event = value;
            else if (field === 'id') block.id = value;
          }
        });
        // An unfinished block at the end of a connection is discarded, as EventSource does.
        response.once('close', () => resolve());
        response.once('error', () => resolve());
      });
    });
  }

  const loop = (async () => {
    while (!stopped) {
      await connectOnce(random.pick(options.nodeUrls()));
      if (!stopped) await sleep(random.int(RECONNECT_MIN_MS, RECONNECT_MAX_MS));
    }
  })();

  return follower;
}
