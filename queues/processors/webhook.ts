import type { JobPayload } from '../catalog.ts';
import type { WebhooksService } from '../../src/modules/webhooks/service.ts';

/** One webhook delivery attempt (SPEC §7); the service records it and schedules the next round. */
export const webhookProcessor = (webhooks: WebhooksService) => async (payload: JobPayload<'webhook'>) => {
  await webhooks.deliver(payload.deliveryId, payload.round);
};
