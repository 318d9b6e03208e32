import test from 'ava';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { openDb } from '../shared/db.ts';
import { ADMIN_URL } from '../../test/support/database.ts';
import { unitOfWorkPerRequest } from './unit-of-work.ts';

test('each request has a fork of its own as req.em, made when read; the global EntityManager refuses work', async (t) => {
  const db = await openDb(ADMIN_URL, 1);
  t.teardown(() => db.end());
  const app = express();
  unitOfWorkPerRequest(app, db.orm);
  const seen: unknown[] = [];
  app.get('/', (req, res) => {
    seen.push(req.em, req.em);
    res.end();
  });
  const server = app.listen(0, '127.0.0.1');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await fetch(url);
  await fetch(url);
  t.is(seen.length, 4);
  t.is(seen[0], seen[1], 'one fork for the whole request');
  t.not(seen[0], seen[2], 'another for the next request');
  t.not(seen[0], db.orm.em);
  t.throws(() => db.orm.em.getUnitOfWork(), { message: /global EntityManager/ }, 'allowGlobalContext is false');
});
