import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { limitsBody } from './schemas.ts';
import { getLimits, replaceLimits } from './service.ts';

/** SPEC §3/§8: the operator's own limits. */
export function limitsRoutes(): Router {
  const router = Router();

  router.get('/limits', async (req, res) => {
    res.json(await getLimits(req.em, operatorOf(req).id));
  });

  router.put('/limits', async (req, res) => {
    const body = parse(limitsBody, req.body, 'body');
    res.json(await replaceLimits(req.em, operatorOf(req).id, body));
  });

  return router;
}
