import type { IncomingMessage } from 'node:http';
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ParentBasedSampler, SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { env } from '../config/env.ts';
import { setTelemetryFlush } from './flush.ts';

// SPEC §9 traces: HTTP in and out (wallet calls and webhooks go through undici), express
// routes, pg, ioredis, and BullMQ jobs (src/telemetry/queues.ts), exported over OTLP. The
// exporter follows the standard OTEL_EXPORTER_OTLP_* variables (http/protobuf unless
// OTEL_EXPORTER_OTLP_PROTOCOL says otherwise); metrics stay on /metrics and logs on stdout.
//
// Our code is ESM (compiled into dist/, or through tsx in development). pg happens to be
// required from its own ESM wrapper, but ioredis and express are imported straight from
// ESM, which require hooks never see: the import-in-the-middle loader wraps them, and only
// the modules an instrumentation asked for (the message channel tells the loader thread
// which). test/tracing.test.ts fails without it.

const PROBES = new Set(['/health', '/ready', '/metrics']);

/** Load balancer probes and Prometheus scrapes would bury the real traffic. */
function isProbe(req: IncomingMessage): boolean {
  return PROBES.has((req.url ?? '').split('?', 1)[0] ?? '');
}

// A BullMQ worker with telemetry opens a span for every poll and stalled-jobs check; with
// no job behind it, each would be a trace of its own every few seconds per queue and node.
const QUEUE_HOUSEKEEPING = /^(getNextJob|moveStalledJobsToWait|startStalledCheckTimer|rateLimit|pause|resume|close) /;

const rootSampler: Sampler = {
  shouldSample: (_context, _traceId, spanName) => ({
    decision: QUEUE_HOUSEKEEPING.test(spanName) ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => 'DropQueueHousekeeping',
};

// Before the instrumentations are built: each one's hook is then sent to the loader.
const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

const sdk = new NodeSDK({
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, if set, are merged over these.
  resource: resourceFromAttributes({ 'service.name': 'rgs', 'service.instance.id': env.NODE_ID }),
  // An operator's own `traceparent` may join our trace, but never switch our tracing off.
  sampler: new ParentBasedSampler({ root: rootSampler, remoteParentNotSampled: rootSampler }),
  metricReaders: [],
  logRecordProcessors: [],
  instrumentations: [
    new HttpInstrumentation({ ignoreIncomingRequestHook: isProbe }),
    // The route's handler only: a span per middleware and router layer would be some twenty
    // spans per request, most of them for routers the request merely passed through.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
    // Only inside a trace: the relay, sweepers and SSE readers poll all the time.
    // Statement text only, never parameter values (they include server seeds).
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    new UndiciInstrumentation(),
  ],
});
sdk.start();
setTelemetryFlush(() => sdk.shutdown());
// The app's imports may only start once the loader knows which modules to wrap.
await waitForAllMessagesAcknowledged();
