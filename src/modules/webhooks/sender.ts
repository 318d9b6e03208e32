import { Agent, request } from 'undici';
import { guardedConnect } from '../../shared/outbound-target.ts';
import { signWebhook } from './signing.ts';

/** What one POST to a receiver came to. Only a 2xx answer counts as delivered (SPEC §7). */
export type SendOutcome = { delivered: true; statusCode: number } | { delivered: false; statusCode: number | null; error: string };

export interface WebhookSender {
  /** POSTs `body` (the event JSON, sent byte for byte as signed); signs it when a secret is set. */
  send(target: { url: string; secret: string | null }, eventId: string, body: string): Promise<SendOutcome>;
  close(): Promise<void>;
}

/**
 * POSTs events to operators' receivers over keep-alive connections, each bounded by a
 * timeout. Redirects are not followed (undici's `request` never does): a 3xx is a failed
 * attempt, so a receiver cannot bounce signed events to a host the operator never set.
 */
export function createWebhookSender(options: { timeoutMs: number; httpsOnly: boolean; allowPrivateTargets: boolean }): WebhookSender {
  // SPEC §7: each new connection checks the address it goes to (DNS rebinding).
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16, connect: guardedConnect({}, options) });

  async function send(target: { url: string; secret: string | null }, eventId: string, body: string): Promise<SendOutcome> {
    // SPEC §7: plain http (e.g. a receiver on loopback) is for outside production only.
    if (options.httpsOnly && !target.url.startsWith('https://')) {
      return { delivered: false, statusCode: null, error: 'webhook URL must use https in production' };
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'RGS-Webhooks/1',
      'x-rgs-event-id': eventId,
    };
    if (target.secret !== null) headers['x-rgs-signature'] = signWebhook(target.secret, Math.floor(Date.now() / 1000), body);
    try {
      const response = await request(target.url, {
        method: 'POST',
        dispatcher: agent,
        headers,
        body,
        // Timed from when the request goes out on a connection, not from when it was asked
        // for: a burst of events waits for one of the agent's connections, and that wait is
        // ours, not the receiver's (an overall timer made such waits count as failed attempts).
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      // The answer's body means nothing to us; read it off (bounded) so the connection is reused.
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      if (response.statusCode >= 200 && response.statusCode < 300) return { delivered: true, statusCode: response.statusCode };
      return { delivered: false, statusCode: response.statusCode, error: `receiver answered ${response.statusCode}` };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        return { delivered: false, statusCode: null, error: `receiver timed out after ${options.timeoutMs} ms` };
      }
      // A code or a name, never a message: operators read this (GET /webhooks/deliveries),
      // and a message can carry addresses of the network the RGS runs in.
      const { name, cause } = error as { name?: string; cause?: { code?: string } };
      return { delivered: false, statusCode: null, error: `receiver unreachable: ${cause?.code ?? code ?? name}` };
    }
  }

  return { send, close: () => agent.close() };
}
