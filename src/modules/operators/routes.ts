import { Router } from 'express';
import { parse } from '../../shared/validate.ts';
import { emptyBody, idParams } from '../../shared/schemas.ts';
import type { OperatorsService } from './service.ts';
import { createOperatorBody, patchOperatorBody } from './schemas.ts';

/** SPEC §3 admin API (mounted behind `adminAuth`). */
export function adminOperatorsRoutes(operators: OperatorsService): Router {
  const router = Router();

  router.post('/admin/operators', async (req, res) => {
    res.status(201).json(await operators.create(req.em, parse(createOperatorBody, req.body, 'body')));
  });

  router.get('/admin/operators', async (req, res) => {
    res.json({ items: await operators.list(req.em), nextCursor: null });
  });

  router.get('/admin/operators/:id', async (req, res) => {
    const { id } = parse(idParams, req.params, 'params');
    res.json(await operators.get(req.em, id));
  });

  router.patch('/admin/operators/:id', async (req, res) => {
    const { id } = parse(idParams, req.params, 'params');
    res.json(await operators.update(req.em, id, parse(patchOperatorBody, req.body, 'body')));
  });

  router.post('/admin/operators/:id/keys/rotate', async (req, res) => {
    const { id } = parse(idParams, req.params, 'params');
    parse(emptyBody, req.body, 'body');
    res.json(await operators.rotateKey(req.em, id));
  });

  return router;
}
