import http from 'node:http';
import type { AddressInfo } from 'node:net';

// `npm start`'s webhook receiver: demo-casino-alpha's webhook URL (src/demo/demo-data.ts),
// so the demo's webhook deliveries are real ones and the redelivery example names one that
// exists. It takes every event with 204 and keeps nothing; an operator's receiver would
// check X-RGS-Signature and dedupe by event id (SPEC §7).

/** Listens on loopback (`port` 0: any free port); resolves with its URL. */
export async function startDemoWebhookReceiver(port: number): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.method === 'POST' ? 204 : 405);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, server };
}
