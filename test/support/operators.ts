import { randomBytes } from 'node:crypto';
import { adminClient, operatorClient } from './http.ts';
import { TEST_ADMIN_TOKEN } from './cluster.ts';

/** Creates an operator through the admin API, as an ops person would; returns its client. */
export async function createOperator(nodeUrl: string, settings: Record<string, unknown> = {}) {
  const admin = adminClient(nodeUrl, TEST_ADMIN_TOKEN);
  const created = await admin.post<{ id: string; name: string; apiKey: string }>('/admin/operators', {
    name: `operator-${randomBytes(4).toString('hex')}`,
    ...settings,
  });
  if (created.status !== 201) throw new Error(`operator not created: ${created.status} ${JSON.stringify(created.body)}`);
  return { ...created.body, client: (url: string = nodeUrl) => operatorClient(url, created.body.apiKey) };
}
