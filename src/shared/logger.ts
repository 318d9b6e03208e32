import { pino, type Logger } from 'pino';
import { trace, TraceFlags } from '@opentelemetry/api';
import { env } from '../config/env.ts';
import { tracingEnabled } from '../telemetry/enabled.ts';

/** The active span's ids, so a log line leads to its trace (and back). A new object each time: pino merges into it. */
function traceFields(): object {
  const context = trace.getActiveSpan()?.spanContext();
  // An unsampled span's ids lead nowhere: its trace was never exported.
  if (!context || !(context.traceFlags & TraceFlags.SAMPLED)) return {};
  return { traceId: context.traceId, spanId: context.spanId };
}

// SPEC §9/§11: JSON logs with the node id (and, with tracing on, the trace and span ids);
// keys, signatures and secrets never reach a line.
export const logger: Logger = pino({
  level: env.LOG_LEVEL,
  base: { nodeId: env.NODE_ID },
  ...(tracingEnabled && { mixin: traceFields }),
  redact: {
    paths: [
      'req.headers["x-operator-key"]',
      'req.headers.authorization',
      'req.headers.cookie',
      '*.apiKey',
      '*.walletSecret',
      '*.webhookSecret',
      '*.serverSeed',
      'apiKey',
      'walletSecret',
      'webhookSecret',
      'serverSeed',
    ],
    censor: '[redacted]',
  },
});
