import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import type { SessionsService } from './service.ts';
import { emptyBody } from '../../shared/schemas.ts';
import { idempotencyKeyHeader, launchBody, sessionTokenParams } from './schemas.ts';

export function sessionsRoutes(sessions: SessionsService): Router {
  const router = Router();

  router.post('/sessions/launch', async (req, res) => {
    const operator = operatorOf(req);
    const body = parse(launchBody, req.body, 'body');
    const key = parse(idempotencyKeyHeader, { 'idempotency-key': req.get('idempotency-key') }, 'headers')['idempotency-key'];
    const result = await sessions.launch(req.em, operator.id, body, key);
    res.status(result.status).json(result.body);
  });

  router.get('/sessions/:token', async (req, res) => {
    const { token } = parse(sessionTokenParams, req.params, 'params');
    res.json(await sessions.verify(req.em, operatorOf(req).id, token));
  });

  router.post('/sessions/:token/revoke', async (req, res) => {
    const { token } = parse(sessionTokenParams, req.params, 'params');
    parse(emptyBody, req.body, 'body');
    res.json(await sessions.revoke(req.em, operatorOf(req).id, token));
  });

  return router;
}
