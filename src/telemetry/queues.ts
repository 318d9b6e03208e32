import { BullMQOtel } from 'bullmq-otel';
import type { Telemetry } from 'bullmq';
import { tracingEnabled } from './enabled.ts';

/**
 * BullMQ's own OpenTelemetry support (SPEC §9: jobs joined to the request that enqueued
 * them). `Queue.add` opens a producer span and stores the W3C trace context in the job's
 * options (`opts.telemetry.metadata`), never in its data: payloads stay strict and job ids
 * stay derived from them. The worker's `process <queue>` span is a child of that producer
 * span, so one trace runs request → job → wallet call → next job. Off, queues get no
 * telemetry at all and pay nothing.
 */
export const queueTelemetry: Telemetry | undefined = tracingEnabled ? new BullMQOtel({ tracerName: 'rgs.queues' }) : undefined;
