import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { DomainError } from '../shared/errors.ts';

// The API alone: with tracing off (no SDK registered) every span is a no-op.
const tracer = trace.getTracer('rgs');

/**
 * Runs `work` as the active span `name` (SPEC §9 custom spans: bet.place, bet.debit,
 * bet.settle). A refusal (a 4xx DomainError) is an answer, not a failure: it is recorded
 * as `rgs.refusal`; anything else marks the span failed. Set attributes with
 * `span.setAttribute` (free on a no-op span) or behind `span.isRecording()`.
 */
export function inSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      if (error instanceof DomainError && error.status < 500) {
        span.setAttribute('rgs.refusal', error.code);
      } else {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}
