import { log, pause, type Failures } from './config.ts';
import type { ProductDb } from './postgres-stats.ts';
import { fmt } from './table.ts';
import type { WebhookReceiver } from './webhook-receiver.ts';

/**
 * BENCH_WEBHOOKS=1: every event of the run reaches the receiver once its deliveries drain
 * (up to 120 s after the load). Returns the report's line.
 */
export async function drainWebhooks(run: { productDb: ProductDb; receiver: WebhookReceiver; operatorId: string; failures: Failures }): Promise<string> {
  const { productDb, receiver, failures } = run;
  const drainFrom = Date.now();
  const deadline = drainFrom + 120_000;
  let counts = { events: 0, pending: 0, delivered: 0, failed: 0, retried: 0 };
  for (;;) {
    const { rows } = await productDb.query<{ events: string; pending: string; delivered: string; failed: string; retried: string }>(
      `SELECT (SELECT count(*) FROM events WHERE operator_id = $1) AS events,
              count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'delivered') AS delivered,
              count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE attempts > 1) AS retried
         FROM webhook_deliveries WHERE operator_id = $1`,
      [run.operatorId],
    );
    const row = rows[0];
    counts = { events: Number(row?.events), pending: Number(row?.pending), delivered: Number(row?.delivered), failed: Number(row?.failed), retried: Number(row?.retried) };
    if ((counts.pending === 0 && counts.delivered + counts.failed >= counts.events) || Date.now() > deadline) break;
    await pause(250);
  }
  const webhookLine =
    `webhooks: ${counts.events} events, ${counts.delivered} deliveries delivered (${counts.retried} after more than one attempt), ${counts.failed} failed, ${counts.pending} pending; ` +
    `the receiver got ${receiver.received()} POSTs (${receiver.distinct()} distinct events); drained ${fmt((Date.now() - drainFrom) / 1000, 1)} s after the load`;
  log(webhookLine);
  if (counts.failed > 0 || counts.pending > 0) failures.push(`webhooks: ${counts.failed} deliveries failed, ${counts.pending} still pending`);
  if (receiver.distinct() < counts.events) failures.push(`webhooks: the receiver got ${receiver.distinct()} of ${counts.events} events`);
  return webhookLine;
}
