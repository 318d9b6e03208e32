import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.ts';

// The operator API as openapi-fetch sees it through the generated `paths`: every path,
// parameter, body and answer is typed from the document, so a request the document does not
// allow fails to compile. Generated types: schema.ts (`npm run client`, never edited by hand).

export type RgsClient = Client<paths>;

/** A client of the operator API (SPEC §3) that sends the operator's key with every request. */
export function createRgsClient(options: { baseUrl: string; operatorKey: string }): RgsClient {
  return createClient<paths>({ baseUrl: options.baseUrl, headers: { 'X-Operator-Key': options.operatorKey } });
}

/** A client of the admin API (the admin listener, ADMIN_PORT) with the admin token. */
export function createRgsAdminClient(options: { baseUrl: string; adminToken: string }): RgsClient {
  return createClient<paths>({ baseUrl: options.baseUrl, headers: { Authorization: `Bearer ${options.adminToken}` } });
}
