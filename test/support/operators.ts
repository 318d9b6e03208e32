import { randomBytes } from 'node:crypto';
import { adminClient, operatorClient } from './http.ts';
import { TEST_ADMIN_TOKEN } from './cluster.ts';
import type { RunningProcess } from './process.ts';

/** The admin listener of a node this test started (SPEC §2: the admin API is not on the public port). */
export function adminUrlOf(node: Pick<RunningProcess, 'adminUrl'>): string {
  if (typeof node !== 'object' || !node.adminUrl) throw new Error(`not an RGS node with an admin listener: ${JSON.stringify(node)} (pass the node itself, e.g. cluster.nodes[0])`);
  return node.adminUrl;
}

/**
 * Creates an operator through a node's admin API, as an ops person would; returns it with
 * a client for the public API (of that node, or of the URL given).
 */
export async function createOperator(node: Pick<RunningProcess, 'url' | 'adminUrl'>, settings: Record<string, unknown> = {}) {
  const admin = adminClient(adminUrlOf(node), TEST_ADMIN_TOKEN);
  const created = await admin.post<{ id: string; name: string; apiKey: string }>('/admin/operators', {
    name: `operator-${randomBytes(4).toString('hex')}`,
    ...settings,
  });
  if (created.status !== 201) throw new Error(`operator not created: ${created.status} ${JSON.stringify(created.body)}`);
  return { ...created.body, client: (url: string = node.url) => operatorClient(url, created.body.apiKey) };
}
