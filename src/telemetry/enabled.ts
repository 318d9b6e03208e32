import { env } from '../config/env.ts';

/**
 * SPEC §9: traces are exported only when an OTLP endpoint is configured. Off, the SDK is
 * never loaded and `@opentelemetry/api` calls stay no-ops.
 */
export const tracingEnabled = env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
