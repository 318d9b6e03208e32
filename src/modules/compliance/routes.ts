import { Router } from 'express';
import type { Db } from '../../shared/db.ts';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { limitsBody } from './schemas.ts';
import { getLimits, replaceLimits } from './service.ts';

/** SPEC §3/§8: the operator's own limits. */
export function limitsRoutes(db: Db): Router {
  const router = Router();

  router.get('/limits', async (req, res) => {
    res.json(await getLimits(db, operatorOf(req).id));
  });

  router.put('/limits', async (req, res) => {
    const body = parse(limitsBody, req.body, 'body');
    res.json(await replaceLimits(db, operatorOf(req).id, body));
  });

  return router;
}
