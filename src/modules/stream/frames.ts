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

/**
 * Why the server ended a connection the client should reopen with its Last-Event-ID:
 * it did not read (`slow_consumer`), replay failed (`replay_failed`), or it replayed as
 * much as one request may (`replay_limit`, SSE_MAX_REPLAY) and continues on the next.
 */
export type EndReason = 'slow_consumer' | 'replay_failed' | 'replay_limit';

export function endFrame(reason: EndReason): string {
  return `event: stream.end\ndata: ${JSON.stringify({ reason })}\n\n`;
}

/**
 * A block with only an `id:` field: EventSource takes it as its Last-Event-ID and
 * dispatches nothing (WHATWG HTML, "dispatch the event": no data, no event). The one
 * exception to control frames carrying no id: it names an entry this client has passed.
 */
export function positionFrame(id: string): string {
  return `id: ${id}\n\n`;
}
