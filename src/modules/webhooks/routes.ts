import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { emptyBody, idParams } from '../../shared/schemas.ts';
import type { WebhooksService } from './service.ts';
import { listDeliveriesQuery } from './schemas.ts';

/** SPEC §3/§7: the operator's webhook deliveries, and redelivery of one. */
export function webhooksRoutes(webhooks: WebhooksService): Router {
  const router = Router();

  router.get('/webhooks/deliveries', async (req, res) => {
    res.json(await webhooks.list(req.em, operatorOf(req).id, parse(listDeliveriesQuery, req.query, 'query')));
  });

  router.post('/webhooks/deliveries/:id/redeliver', async (req, res) => {
    const { id } = parse(idParams, req.params, 'params');
    parse(emptyBody, req.body, 'body');
    res.status(202).json(await webhooks.redeliver(req.em, operatorOf(req).id, id));
  });

  return router;
}
