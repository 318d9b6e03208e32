import { Router } from 'express';
import type { Db } from '../../shared/db.ts';
import type { SecretsKeyring } from '../../shared/secrets-keyring.ts';
import { operatorOf } from '../operators/request-operator.ts';
import { parse } from '../../shared/validate.ts';
import { sessionTokenParams } from '../sessions/schemas.ts';
import { rotateSeeds } from './rotation.ts';
import { fairnessVerifyQuery, rotateSeedsBody } from './schemas.ts';
import { verifyOutcome } from './verify.ts';

/** SPEC §3: `GET /fairness/verify` needs no key: anyone can recompute an outcome. */
export function fairnessPublicRoutes(): Router {
  const router = Router();

  router.get('/fairness/verify', (req, res) => {
    res.json(verifyOutcome(parse(fairnessVerifyQuery, req.query, 'query')));
  });

  return router;
}

/** SPEC §3: seed rotation, on behalf of a session's player. */
export function fairnessRoutes(db: Db, keyring: SecretsKeyring): Router {
  const router = Router();

  router.post('/sessions/:token/seeds/rotate', async (req, res) => {
    const { token } = parse(sessionTokenParams, req.params, 'params');
    const body = parse(rotateSeedsBody, req.body, 'body');
    res.json(await rotateSeeds(db, keyring, operatorOf(req).id, token, body?.clientSeed));
  });

  return router;
}
