import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { emptyBody, idParams } from '../../shared/schemas.ts';
import type { OutboxService } from './service.ts';
import { listOutboxQuery } from './schemas.ts';

export function outboxRoutes(outbox: OutboxService): Router {
  const router = Router();

  router.get('/outbox', async (req, res) => {
    res.json(await outbox.list(req.em, operatorOf(req).id, parse(listOutboxQuery, req.query, 'query')));
  });

  router.post('/outbox/:id/retry', async (req, res) => {
    const { id } = parse(idParams, req.params, 'params');
    parse(emptyBody, req.body, 'body');
    res.status(202).json(await outbox.retry(req.em, operatorOf(req).id, id));
  });

  return router;
}
