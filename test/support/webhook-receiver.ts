import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Verifies a `t=…,v1=…` signature header as Stripe's own libraries do: any v1 that matches
 * HMAC_SHA256(secret, "{t}.{rawBody}") in hex, and a `t` no older than `toleranceSeconds`.
 */
export function verifyStripeStyle(
  secret: string,
  header: string | undefined,
  rawBody: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): { ok: true; t: number } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'no signature header' };
  const parts = header.split(',').map((part) => part.split('=', 2) as [string, string | undefined]);
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (!Number.isInteger(t) || signatures.length === 0) return { ok: false, reason: 'malformed signature header' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'));
  const matches = signatures.some((signature) => signature.length === expected.length && timingSafeEqual(Buffer.from(signature), expected));
  if (!matches) return { ok: false, reason: 'no matching signature' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (now - t > (options.toleranceSeconds ?? 300)) return { ok: false, reason: 'timestamp outside the tolerance' };
  return { ok: true, t };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Whether the signature verified with the receiver's secret (false when it has none). */
  verified: boolean;
  /** The status the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answer 500 to the next `n` requests, then recover. */
  failFirst(n: number): void;
  /** Answer 500 to every request until turned off. */
  alwaysFail(on: boolean): void;
  /** Wait this long before answering each request. */
  setDelayMs(ms: number): void;
  /** Requests for one event id that the receiver accepted (2xx). */
  acceptedFor(eventId: string): ReceivedWebhook[];
  /** Polls until `predicate` holds for the requests received so far. */
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/**
 * A webhook receiver as an operator would run one, on a free loopback port: records each
 * request (headers + raw body), verifies the signature when given a secret (a bad one is
 * answered 400, as Stripe's examples do), and can be told to fail or to be slow.
 */
export async function startWebhookReceiver(options: { secret?: string } = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failuresLeft = 0;
  let failing = false;
  let delayMs = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers['x-rgs-signature'];
      const verified = options.secret !== undefined && verifyStripeStyle(options.secret, typeof signature === 'string' ? signature : undefined, rawBody).ok;
      let status = 200;
      if (options.secret !== undefined && !verified) status = 400;
      else if (failing) status = 500;
      else if (failuresLeft > 0) {
        failuresLeft--;
        status = 500;
      }
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      received.push({ headers: req.headers, rawBody, verified, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    failFirst: (n) => {
      failuresLeft = n;
    },
    alwaysFail: (on) => {
      failing = on;
    },
    setDelayMs: (ms) => {
      delayMs = ms;
    },
    acceptedFor: (eventId) => received.filter((request) => request.status === 200 && request.headers['x-rgs-event-id'] === eventId),
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms (${received.length} requests)`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return received;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
