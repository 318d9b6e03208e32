import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createRedisPrefix, REDIS_URL } from '../../../test/support/redis.ts';
import { startOperatorReader } from './reader.ts';

// SPEC §7 "never a silent gap", for the one reader a node keeps per operator stream, when
// Redis restarts empty under it (found by `npm run chaos`, docs/chaos.md). The reader sits
// behind a TCP proxy that can hold back what Redis answers and cut the connection, so
// "an entry was appended, then Redis died before the reader got it" happens on cue.

interface Proxy {
  url: string;
  /** Holds back Redis's answers on the current connections. */
  hold(): void;
  heldBytes(): number;
  /** Cuts every connection, dropping what was held; new connections pass freely. */
  cutAll(): void;
  close(): Promise<void>;
}

async function startProxy(target: URL): Promise<Proxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; held: Buffer[] | undefined }>();
  const server = net.createServer((client) => {
    const pair = { client, upstream: net.connect(Number(target.port), target.hostname), held: undefined as Buffer[] | undefined };
    pairs.add(pair);
    client.on('data', (chunk) => pair.upstream.write(chunk));
    pair.upstream.on('data', (chunk: Buffer) => (pair.held ? pair.held.push(chunk) : client.write(chunk)));
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream.destroy();
    };
    client.on('close', close).on('error', close);
    pair.upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    hold: () => pairs.forEach((pair) => (pair.held ??= [])),
    heldBytes: () => [...pairs].reduce((sum, pair) => sum + (pair.held ?? []).reduce((n, chunk) => n + chunk.length, 0), 0),
    cutAll: () => pairs.forEach((pair) => pair.client.destroy()),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const entry = (n: number) => JSON.stringify({ id: `event-${n}`, type: 'bet.placed', operatorId: 'op', occurredAt: new Date().toISOString(), data: { betId: `bet-${n}`, playerId: 'p' } });

test('a reader whose Redis restarted empty while its XREAD was out reports the lost history before any new entry', async (t) => {
  const { prefix, cleanup } = createRedisPrefix();
  const redis = new Redis(REDIS_URL, { keyPrefix: prefix });
  const proxy = await startProxy(new URL(REDIS_URL));
  const seen: string[] = [];
  const reader = startOperatorReader({
    operatorId: 'op',
    key: 'stream:op',
    redis: { url: proxy.url },
    redisPrefix: prefix,
    logger: pino({ level: 'silent' }),
    // Long enough that no idle re-check happens during the test.
    blockMs: 60_000,
    onEntries: (entries) => seen.push(...entries.map((each) => `entry ${each.id.text}`)),
    onHistoryLost: (restarted) => seen.push(`history lost (restarted: ${restarted})`),
  });
  t.teardown(async () => {
    reader.stop();
    redis.disconnect();
    await proxy.close();
    await cleanup();
  });
  const readerBlocked = async () => ((await redis.client('LIST')) as string).split('\n').some((line) => line.includes(`name=${prefix}sse-reader:op`) && line.includes('cmd=xread'));

  await redis.xadd('stream:op', '1000-0', 'event', entry(0));
  await reader.ready;
  await waitFor(readerBlocked, 'the reader blocks in XREAD after 1000-0');

  // Appended, and answered to the reader, but the answer never arrives: Redis "dies" with
  // it and comes back without the stream.
  proxy.hold();
  await redis.xadd('stream:op', '1000-1', 'event', entry(1));
  await waitFor(() => proxy.heldBytes() > 0, 'the answer to the XREAD is held');
  await redis.del('stream:op');
  proxy.cutAll();
  await waitFor(readerBlocked, 'the reader reconnects and blocks again');
  await redis.xadd('stream:op', '2000-0', 'event', entry(2));
  await waitFor(() => seen.includes('entry 2000-0'), 'the new entry is read');

  t.deepEqual(seen, ['history lost (restarted: false)', 'entry 2000-0'], '1000-1 is gone: the clients are told before anything newer reaches them');
});
