import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

// The operator's webhook receiver for BENCH_WEBHOOKS=1: an https server in the bench
// process (nodes run with NODE_ENV=production, where webhooks go to https URLs only), with
// a throwaway self-signed certificate that the nodes trust through NODE_EXTRA_CA_CERTS.
// It answers 204 to every POST and counts the events it got, and how many were repeats.

export interface WebhookReceiver {
  url: string;
  /** The certificate, for the nodes' NODE_EXTRA_CA_CERTS. */
  caFile: string;
  received(): number;
  distinct(): number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rgs-bench-webhooks-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  const ids = new Set<string>();
  let received = 0;
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      const id = req.headers['x-rgs-event-id'];
      if (typeof id === 'string') ids.add(id);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/rgs-events`,
    caFile: certFile,
    received: () => received,
    distinct: () => ids.size,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
