import { env } from '../src/config/env.ts';
import { ensureDatabase, migrate } from '../src/shared/migrate.ts';

await ensureDatabase(env.DATABASE_URL);
const applied = await migrate(env.DATABASE_URL);
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
