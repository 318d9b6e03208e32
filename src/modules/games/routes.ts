import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { listGames } from './service.ts';

/** Issue #20: the games the calling operator offers. */
export function gamesRoutes(): Router {
  const router = Router();

  router.get('/games', (req, res) => {
    res.json({ items: listGames(operatorOf(req).games) });
  });

  return router;
}
