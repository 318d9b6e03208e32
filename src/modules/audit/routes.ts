import { Router } from 'express';
import type { Db } from '../../shared/db.ts';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { auditQuery } from './schemas.ts';
import { listAudit } from './service.ts';

/** SPEC §3/§8: the operator's own audit trail. */
export function auditRoutes(db: Db): Router {
  const router = Router();

  router.get('/audit', async (req, res) => {
    const query = parse(auditQuery, req.query, 'query');
    res.json(await listAudit(db, operatorOf(req).id, query));
  });

  return router;
}
