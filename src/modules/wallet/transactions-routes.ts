import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { transactionsQuery } from './transactions-schemas.ts';
import { listTransactions } from './transactions-service.ts';

/** SPEC §3: reconciliation, every wallet call the RGS made for this operator. */
export function transactionsRoutes(): Router {
  const router = Router();

  router.get('/transactions', async (req, res) => {
    const query = parse(transactionsQuery, req.query, 'query');
    res.json(await listTransactions(req.em, operatorOf(req).id, query));
  });

  return router;
}
