import { env } from '../src/config/env.ts';
import { ensureDatabase, migrate } from '../src/shared/migrate.ts';
import { appRoleOf } from '../src/shared/app-role.ts';

// As the owner (DATABASE_URL): also creates the nodes' application role (APP_DB_ROLE) if
// it is missing and grants it what the nodes need.
await ensureDatabase(env.DATABASE_URL);
const applied = await migrate(env.DATABASE_URL, appRoleOf(env));
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
