import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registerOpsPaths } from '../ops-openapi.ts';
import { registerAdminOperatorsPaths } from '../../modules/operators/openapi.ts';
import { registerSessionsPaths } from '../../modules/sessions/openapi.ts';
import { registerFairnessPaths } from '../../modules/fairness/openapi.ts';
import { registerBetsPaths } from '../../modules/bets/openapi.ts';
import { registerRoundsPaths } from '../../modules/rounds/openapi.ts';
import { registerGamesPaths } from '../../modules/games/openapi.ts';
import { registerTransactionsPaths } from '../../modules/wallet/transactions-openapi.ts';
import { registerAuditPaths } from '../../modules/audit/openapi.ts';
import { registerLimitsPaths } from '../../modules/compliance/openapi.ts';
import { registerOutboxPaths } from '../../modules/outbox/openapi.ts';
import { registerWebhooksPaths } from '../../modules/webhooks/openapi.ts';
import { registerStreamPaths } from '../../modules/stream/openapi.ts';
import { registerSecuritySchemes } from '../../shared/openapi-components.ts';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

// Each module registers the paths its routes.ts serves, with the zod schemas those routes
// parse with, so the document cannot drift from what the handlers accept. Tags are listed
// here to fix the order the docs page shows them in.
const MODULE_PATHS = [
  registerSessionsPaths,
  registerGamesPaths,
  registerBetsPaths,
  registerRoundsPaths,
  registerFairnessPaths,
  registerTransactionsPaths,
  registerAuditPaths,
  registerLimitsPaths,
  registerOutboxPaths,
  registerWebhooksPaths,
  registerStreamPaths,
  registerAdminOperatorsPaths,
  registerOpsPaths,
];

const TAGS = [
  { name: 'Sessions', description: 'Launch, verify and revoke game sessions' },
  { name: 'Games', description: 'The games an operator offers' },
  { name: 'Bets', description: 'Place bets and read them back' },
  { name: 'Rounds', description: 'Rounds and game recall' },
  { name: 'Fairness', description: 'Provable fairness: verify outcomes, rotate seeds' },
  { name: 'Wallet', description: 'Reconciliation of wallet calls' },
  { name: 'Audit', description: 'The audit trail' },
  { name: 'Limits', description: 'Responsible-gaming and jurisdiction limits' },
  { name: 'Outbox', description: 'Deferred credits' },
  { name: 'Webhooks', description: 'Webhook deliveries' },
  { name: 'Events', description: 'Server-sent events' },
  { name: 'Admin', description: 'Operators and their keys (admin token; served on the admin listener, ADMIN_PORT)' },
  { name: 'Ops', description: 'Liveness and readiness; metrics on the admin listener (ADMIN_PORT)' },
];

/** SPEC §3: the OpenAPI 3.1 document of every endpoint, generated from the zod schemas. Build it once. */
export function buildOpenApiDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registerSecuritySchemes(registry);
  for (const registerPaths of MODULE_PATHS) registerPaths(registry);
  return new OpenApiGeneratorV31(registry.definitions, { sortComponents: 'alphabetically' }).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'RGS — Remote Gaming Server',
      version: '1',
      description:
        'Operator REST API. Money is integer minor units with an ISO 4217 currency. Errors are RFC 9457 ' +
        'application/problem+json with a stable `code`. Bodies are strict JSON: an unknown field is 400.',
    },
    tags: TAGS,
  });
}
