import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { auditQuery } from './schemas.ts';
import { listAudit } from './service.ts';

/** SPEC §3/§8: the operator's own audit trail. */
export function auditRoutes(): Router {
  const router = Router();

  router.get('/audit', async (req, res) => {
    const query = parse(auditQuery, req.query, 'query');
    res.json(await listAudit(req.em, operatorOf(req).id, query));
  });

  return router;
}
