import { env } from '../src/config/env.ts';
import { openDb } from '../src/shared/db.ts';
import { DEMO_OPERATORS, seedDemoOperators } from '../src/modules/operators/demo-operators.ts';

if (env.NODE_ENV === 'production') {
  console.error('seed: refusing to insert demo operators with NODE_ENV=production');
  process.exit(1);
}
const db = await openDb(env.DATABASE_URL, 1);
await seedDemoOperators(db.orm.em.fork());
await db.end();
console.log('seeded demo operators (DEMO ONLY — local keys):');
for (const demo of DEMO_OPERATORS) console.log(`  ${demo.name}  X-Operator-Key: ${demo.apiKey}`);
