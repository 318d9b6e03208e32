import type { Logger } from 'pino';

/**
 * Runs `task` again and again, `intervalMs` apart with ±25 % jitter (so the nodes that all
 * run it spread apart), never overlapping itself; a failure is logged and the next run
 * goes on. For sweepers that every node runs.
 */
export function runPeriodically(task: () => Promise<unknown>, options: { intervalMs: number; logger: Logger; name: string }): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(async () => {
      await task().catch((error: unknown) => options.logger.warn({ err: error }, `${options.name} failed`));
      if (!stopped) schedule();
    }, options.intervalMs * (0.75 + Math.random() * 0.5));
    timer.unref();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
