import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { OPERATOR_KEY_PROBLEMS, operatorSecurity, problemResponses, QUERY_PROBLEMS } from '../../shared/openapi-components.ts';
import { streamQuery } from './schemas.ts';

// routes.ts reads Last-Event-ID as it comes (an unusable id is answered with stream.reset,
// never refused), so there is no zod schema to reuse: this only tells readers it exists.
const resumeHeaders = z.object({
  'last-event-id': z
    .string()
    .optional()
    .meta({ description: 'the id of the last event received: the stream resumes after it, on any node' }),
});

/** SPEC §7 server-sent events, as routes.ts serves them. */
export function registerStreamPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/stream',
    operationId: 'streamEvents',
    tags: ['Events'],
    summary: "The operator's events (server-sent events)",
    description:
      'A text/event-stream of the operator\'s events (`id:` is the resume position, `event:` the type such as bet.won, ' +
      '`data:` the JSON event). Resumable with Last-Event-ID (or `lastEventId`); `types` takes event types or ' +
      'wildcards such as `bet.*`, comma-separated. Control events: stream.reset (history gone: resync through REST) ' +
      'and stream.end (reconnect with Last-Event-ID). One request replays at most SSE_MAX_REPLAY entries (10,000): ' +
      'past that the stream sends an `id:`-only block (the last entry replayed, sent or filtered out), ' +
      'stream.end with reason replay_limit and a `retry:` hint, and ends; reconnecting with that Last-Event-ID continues ' +
      '(EventSource does it by itself). A client that does not read past SSE_MAX_BACKLOG_BYTES unsent is ended ' +
      '(stream.end, slow_consumer) and resumes the same way. Never 429 for the request rate; 429 TOO_MANY_STREAMS ' +
      'when the operator already has SSE_MAX_CLIENTS_PER_OPERATOR streams on the node, or the node SSE_MAX_CLIENTS; ' +
      '429 RATE_LIMITED only after repeated failed authentications from the address.',
    security: operatorSecurity,
    request: { query: streamQuery, headers: resumeHeaders },
    responses: {
      200: { description: 'the event stream', content: { 'text/event-stream': { schema: z.string() } } },
      // Mounted before the rate limiter (an EventSource gives up after a non-200): its 429s are the
      // connection caps and, as everywhere a key is checked, the failed-authentication limit.
      ...problemResponses(OPERATOR_KEY_PROBLEMS, QUERY_PROBLEMS, { 429: ['TOO_MANY_STREAMS'] }),
    },
  });
}
