import type { Logger } from 'pino';
import type { Db } from '../../shared/db.ts';
import type { Enqueuer } from '../../../queues/enqueue.ts';
import type { OperatorsService } from '../operators/service.ts';
import type { NewDelivery } from './deliveries.ts';
import { createDeliveriesApi, type DeliveriesApi } from './deliveries-api.ts';
import { createDeliveryAttempts } from './delivery-attempts.ts';
import { createFirstAttemptPump, type FirstAttemptBounds } from './first-attempt-pump.ts';
import type { WebhookRetryPolicy } from './retry-policy.ts';
import { createWebhookSender } from './sender.ts';

export interface WebhookSettings extends WebhookRetryPolicy, FirstAttemptBounds {
  /** Production refuses plain-http webhook URLs (SPEC §7). */
  httpsOnly: boolean;
  /** ALLOW_PRIVATE_TARGETS (src/shared/outbound-target.ts). */
  allowPrivateTargets: boolean;
}

/**
 * The webhooks module as the app and the workers see it: delivery (delivery-attempts.ts,
 * the queued attempt and the first-attempt batch; first-attempt-pump.ts, its per-node and
 * per-operator bounds) and the operator's read/redeliver API (deliveries-api.ts).
 */
export interface WebhooksService extends DeliveriesApi {
  /** One delivery attempt (the `webhook` job of `round`); a stale or already-settled round does nothing. */
  deliver(deliveryId: string, round: number): Promise<void>;
  /** After the relay's commit: first attempts in this process, bounded (first-attempt-pump.ts). */
  sendFirstAttempts(deliveries: NewDelivery[]): void;
  close(): Promise<void>;
}

/** SPEC §7 webhooks, put together from their parts; they share one sender (its connections). */
export function createWebhooksService(deps: {
  db: Db;
  enqueuer: Enqueuer;
  operators: Pick<OperatorsService, 'webhookEndpoint'>;
  logger: Logger;
  settings: WebhookSettings;
}): WebhooksService {
  const { settings } = deps;
  const sender = createWebhookSender({ timeoutMs: settings.timeoutMs, httpsOnly: settings.httpsOnly, allowPrivateTargets: settings.allowPrivateTargets });
  const attempts = createDeliveryAttempts({ ...deps, sender });
  const pump = createFirstAttemptPump({ attempt: attempts.sendFirstAttemptBatch, enqueuer: deps.enqueuer, logger: deps.logger, bounds: settings });
  const api = createDeliveriesApi(deps);

  return {
    deliver: attempts.deliver,
    sendFirstAttempts: pump.sendFirstAttempts,
    list: api.list,
    redeliver: api.redeliver,
    async close() {
      await pump.close();
      await sender.close();
    },
  };
}
