// Preloaded into an RGS node under test (NODE_OPTIONS=--import …) by test/operator-keys.test.ts:
// appends the text of every statement the process sends to PostgreSQL — MikroORM's and the
// hand-written ones alike, all through pg.Client — to RGS_STATEMENT_LOG, one JSON string a line.
// Plain JavaScript: it loads before tsx is registered.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const pg = createRequire(import.meta.url)('pg');
const file = process.env.RGS_STATEMENT_LOG;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function loggedQuery(config, ...rest) {
  const text = typeof config === 'string' ? config : config?.text;
  if (file && typeof text === 'string') appendFileSync(file, `${JSON.stringify(text)}\n`);
  return query.call(this, config, ...rest);
};
