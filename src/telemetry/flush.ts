let flush: () => Promise<void> = () => Promise.resolve();

/** Called by the SDK when tracing is on: how to export the spans still buffered. */
export function setTelemetryFlush(fn: () => Promise<void>): void {
  flush = fn;
}

/**
 * Exports the spans still buffered (the batch processor holds up to
 * OTEL_BSP_SCHEDULE_DELAY of them) before the process exits; nothing when tracing is off.
 */
export function flushTelemetry(): Promise<void> {
  return flush();
}
