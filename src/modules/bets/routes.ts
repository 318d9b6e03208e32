import { Router, type RequestHandler } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { idParams } from '../../shared/schemas.ts';
import type { BetsService } from './service.ts';
import { idempotencyKeyRequired, listBetsQuery, placeBetBody } from './schemas.ts';

/** `POST /bets`, mounted by the app ahead of every router (see app.ts): the bet path's hot route. */
export function placeBetHandler(bets: BetsService): RequestHandler {
  return async (req, res) => {
    const operator = operatorOf(req);
    const body = parse(placeBetBody, req.body, 'body');
    const key = parse(idempotencyKeyRequired, { 'idempotency-key': req.get('idempotency-key') }, 'headers')['idempotency-key'];
    const { status, bet } = await bets.place(operator.id, operator.games, body, key);
    if (status === 202) res.location(`/bets/${bet.id}`);
    res.status(status).json(bet);
  };
}

export function betsRoutes(bets: BetsService): Router {
  const router = Router();

  router.get('/bets/:id', async (req, res) => {
    const { id } = parse(idParams, req.params, 'params');
    res.json(await bets.get(req.em, operatorOf(req).id, id));
  });

  router.get('/bets', async (req, res) => {
    res.json(await bets.list(operatorOf(req).id, parse(listBetsQuery, req.query, 'query')));
  });

  return router;
}
