import { Router } from 'express';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import type { StreamHub } from './hub.ts';
import { streamQuery } from './schemas.ts';
import { resumeFrom } from './stream-id.ts';

/** SPEC §7 `GET /stream`: the operator's events as SSE, resumable on any node. */
export function streamRoutes(hub: StreamHub): Router {
  const router = Router();

  router.get('/stream', async (req, res) => {
    const operator = operatorOf(req);
    const query = parse(streamQuery, req.query, 'query');
    await hub.serve(res, {
      operatorId: operator.id,
      resume: resumeFrom(req.get('last-event-id'), query.lastEventId),
      filter: { types: query.types, playerId: query.playerId },
    });
  });

  return router;
}
