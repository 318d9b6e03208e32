import http from 'node:http';

/** A request exactly as it goes on the wire: the path already percent-encoded (or not), header values as bytes. */
export interface WireRequest {
  method: string;
  /** Path and query as sent, e.g. `/bets/%00?limit=0`. */
  path: string;
  /** An array sends the header once per value. */
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface WireAnswer {
  status: number;
  contentType: string;
  /** The body text (cut short for an event stream, which never ends by itself). */
  text: string;
}

/**
 * Header values travel as bytes: text outside Latin-1 is sent as its UTF-8 bytes (what a
 * client sending "unicode" actually puts on the wire), and the few characters HTTP cannot
 * carry at all (CR, LF, NUL and other controls but tab) are dropped.
 */
export function headerBytes(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
}

/** Path bytes likewise: node refuses spaces and controls in a request target, so those are percent-encoded. */
export function pathBytes(value: string): string {
  return Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[\x00-\x20\x7f]/g, (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

const STREAM_READ_MS = 5_000;

/** Sends one request with node:http (no client-side normalisation) and reads the answer. */
export function send(baseUrl: string, request: WireRequest, agent: http.Agent, timeoutMs = 20_000): Promise<WireAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers: request.headers, agent, timeout: timeoutMs },
      (response) => {
        const contentType = response.headers['content-type'] ?? '';
        const chunks: Buffer[] = [];
        const done = () => resolve({ status: response.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString('utf8') });
        // An event stream stays open: its status and first event (or what came within a few seconds) are the answer.
        if (contentType.startsWith('text/event-stream')) {
          const stop = () => {
            clearTimeout(timer);
            outgoing.destroy();
            done();
          };
          const timer = setTimeout(stop, STREAM_READ_MS);
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            if (/^event:.*\n(?:.+\n)*\n/m.test(Buffer.concat(chunks).toString('utf8'))) stop();
          });
          response.on('error', stop);
          return;
        }
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', done);
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
