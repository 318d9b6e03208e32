import http from 'node:http';

/** A dispatched SSE event (WHATWG "dispatch the event"): a block with data. */
export interface SseMessage {
  /** The block's own `id:` field, if it had one. */
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every character received, for exact framing assertions. */
  raw: string;
  messages: SseMessage[];
  /** Comment lines (`: heartbeat` → "heartbeat"). */
  comments: string[];
  /** `retry:` hints, in order. */
  retries: number[];
  /** Last-Event-ID as a browser would keep it. */
  lastEventId: string | undefined;
  /** The body, parsed as JSON when it is, for answers other than 200. */
  body: any;
  /** True once the server ended the response or the connection closed. */
  done: boolean;
  /** Resolves when `check` holds; rejects after `timeoutMs`, or when the stream ended without it. */
  until(check: (client: SseClient) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops reading (the socket's buffers fill up, as with a stalled client). */
  pause(): void;
  resume(): void;
  close(): void;
}

export interface SseOptions {
  apiKey?: string;
  /** Sent as the Last-Event-ID header. */
  lastEventId?: string;
  query?: Record<string, string>;
  agent?: http.Agent;
}

/** Opens GET /stream with node:http and parses frames as EventSource would; resolves on the response head. */
export function openSse(baseUrl: string, options: SseOptions = {}): Promise<SseClient> {
  const url = new URL('/stream', baseUrl);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.apiKey !== undefined) headers['x-operator-key'] = options.apiKey;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;

  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: options.agent ?? false });
    request.on('error', reject);
    request.once('response', (response) => {
      const watchers = new Set<() => void>();
      const notify = () => watchers.forEach((watch) => watch());
      let pending = '';
      let block: { id?: string; event?: string; data: string[] } = { data: [] };

      const client: SseClient = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        raw: '',
        messages: [],
        comments: [],
        retries: [],
        lastEventId: undefined,
        body: undefined,
        done: false,
        until(check, timeoutMs = 10_000) {
          return new Promise<void>((ok, fail) => {
            const watch = () => {
              if (check(client)) finish();
              else if (client.done) finish(new Error(`stream ended first: ${client.messages.length} messages, ${client.raw.length} chars`));
            };
            const timer = setTimeout(
              () => finish(new Error(`condition not met in ${timeoutMs} ms: ${client.messages.length} messages, done=${client.done}`)),
              timeoutMs,
            );
            const finish = (error?: Error) => {
              clearTimeout(timer);
              watchers.delete(watch);
              if (error) fail(error);
              else ok();
            };
            watchers.add(watch);
            watch();
          });
        },
        pause: () => response.pause(),
        resume: () => response.resume(),
        close: () => request.destroy(),
      };

      const onLine = (line: string) => {
        if (line === '') {
          // As EventSource does: the last id counts once its frame is dispatched, not when its
          // `id:` line arrives (a frame cut between chunks must not advance it).
          if (block.id !== undefined) client.lastEventId = block.id;
          if (block.data.length > 0) {
            client.messages.push({ id: block.id, event: block.event ?? 'message', data: block.data.join('\n') });
          }
          block = { data: [] };
          return;
        }
        if (line.startsWith(':')) {
          client.comments.push(line.slice(1).replace(/^ /, ''));
          return;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') block.data.push(value);
        else if (field === 'event') block.event = value;
        else if (field === 'id' && !value.includes('\0')) {
          block.id = value;
        } else if (field === 'retry' && /^\d+$/.test(value)) client.retries.push(Number(value));
      };

      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        client.raw += chunk;
        if (client.status === 200) {
          pending += chunk;
          const lines = pending.split(/\r\n|\r|\n/);
          pending = lines.pop() ?? '';
          lines.forEach(onLine);
        }
        notify();
      });
      const ended = () => {
        if (client.done) return;
        client.done = true;
        if (client.status !== 200) {
          try {
            client.body = JSON.parse(client.raw);
          } catch {
            client.body = client.raw;
          }
        }
        notify();
      };
      response.once('end', ended);
      response.once('close', ended);
      response.on('error', ended);
      if (client.status === 200) resolve(client);
      else client.until((c) => c.done).then(() => resolve(client), reject);
    });
  });
}
