// SSE control frames (SPEC §7). Control events carry no `id:`, so a client's
// Last-Event-ID stays the last entry it really received.

export const HEARTBEAT_FRAME = ': heartbeat\n\n';

export function retryFrame(retryMs: number): string {
  return `retry: ${retryMs}\n\n`;
}

/** Why history could not be replayed: resync through REST, then carry on live. */
export type ResetReason = 'retention' | 'invalid_last_event_id';

export function resetFrame(reason: ResetReason): string {
  return `event: stream.reset\ndata: ${JSON.stringify({ reason })}\n\n`;
}

/** Why the server ended a connection the client should reopen with its Last-Event-ID. */
export type EndReason = 'slow_consumer' | 'replay_failed';

export function endFrame(reason: EndReason): string {
  return `event: stream.end\ndata: ${JSON.stringify({ reason })}\n\n`;
}
