import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { idParams } from '../../shared/schemas.ts';
import { playerRoundsParams, playerRoundsQuery } from './schemas.ts';
import { getRound, listPlayerRounds } from './service.ts';

/** SPEC §3: a round, and a player's last rounds (game recall). */
export function roundsRoutes(): Router {
  const router = Router();

  router.get('/rounds/:id', async (req, res) => {
    const { id } = parse(idParams, req.params, 'params');
    res.json(await getRound(req.em, operatorOf(req).id, id));
  });

  router.get('/players/:playerId/rounds', async (req, res) => {
    const { playerId } = parse(playerRoundsParams, req.params, 'params');
    const query = parse(playerRoundsQuery, req.query, 'query');
    res.json(await listPlayerRounds(req.em, operatorOf(req).id, playerId, query));
  });

  return router;
}
