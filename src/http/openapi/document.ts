import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
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
import { registerSharedComponents } from '../../shared/openapi-components.ts';
import { withExamples } from './examples.ts';

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
  {
    name: 'Admin',
    description:
      'Operators and their keys (admin token). Served on the admin listener (ADMIN_PORT) only: "Try it out" works from that ' +
      "listener's own /docs (under `npm start`, http://127.0.0.1:4001/docs), and answers 404 from the public port's.",
  },
  { name: 'Ops', description: "Liveness and readiness; metrics on the admin listener (ADMIN_PORT), tried out from that listener's /docs" },
];

// zod's uuid is RFC 9562's (a version and a variant nibble, or the nil and max uuids); JSON
// Schema's `uuid` format also admits any hex digits there and a `urn:uuid:` prefix. Every
// `format: uuid` gets zod's own pattern, so a standard validator refuses what the server does.
const UUID_PATTERN = z.regexes.uuid().source;

function withUuidPatterns(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) withUuidPatterns(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (schema.format === 'uuid' && schema.pattern === undefined) schema.pattern = UUID_PATTERN;
  for (const value of Object.values(schema)) withUuidPatterns(value);
}

/** Every module's paths with the zod schemas their routes parse with: what the document is generated from. */
export function openApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registerSharedComponents(registry);
  for (const registerPaths of MODULE_PATHS) registerPaths(registry);
  return registry;
}

/** SPEC §3: the OpenAPI 3.1 document of every endpoint, generated from the zod schemas. Build it once. */
export function buildOpenApiDocument(): OpenApiDocument {
  const document = new OpenApiGeneratorV31(openApiRegistry().definitions, { sortComponents: 'alphabetically' }).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'RGS — Remote Gaming Server',
      version: '1',
      description:
        'Operator REST API. Money is integer minor units with an ISO 4217 currency. Errors are RFC 9457 ' +
        'application/problem+json with a stable `code`; each error answer lists the codes it can carry (an `enum` on ' +
        '`code`). Bodies are strict JSON: an unknown field is 400, and so is an unknown query parameter of an ' +
        'operation that takes query parameters. Patterns are ECMAScript regexes with the `u` flag (JSON Schema ' +
        '2020-12). Before a request reaches an operation, the HTTP layer may refuse it with 400 ' +
        'MALFORMED_REQUEST (not valid HTTP/1.1), 400 BAD_REQUEST (a body that does not match its framing), 408 ' +
        'REQUEST_TIMEOUT or 431 HEADERS_TOO_LARGE (request line and headers over 16 KiB).',
    },
    tags: TAGS,
  });
  withUuidPatterns(document);
  withExamples(document);
  return document;
}
