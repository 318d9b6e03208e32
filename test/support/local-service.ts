import net from 'node:net';

/** A port that is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `GET <url>/health` answers 200 within a second. */
export async function answersHealth(url: string): Promise<boolean> {
  try {
    const answer = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    await answer.arrayBuffer();
    return answer.status === 200;
  } catch {
    return false;
  }
}

/** `size` consecutive free ports, for a launcher that binds them itself later (`npm start`). */
export async function freePortBlock(size: number): Promise<number> {
  for (;;) {
    // Below Linux's ephemeral range (32768+): other tests' listen(0) and outgoing
    // connections take ports from there, and `npm start` binds these only seconds later.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(
      Array.from({ length: size }, (_, offset) =>
        new Promise<boolean>((resolve) => {
          const server = net.createServer().once('error', () => resolve(false));
          server.listen(base + offset, '127.0.0.1', () => server.close(() => resolve(true)));
        }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
}
