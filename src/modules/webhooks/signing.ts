import { createHmac } from 'node:crypto';

/**
 * SPEC §7: `X-RGS-Signature: t={unix seconds},v1={hex HMAC_SHA256(secret, "{t}.{body}")}` —
 * exactly Stripe's `Stripe-Signature` scheme, so stock verifiers work unchanged. `body` is
 * the raw string sent, byte for byte. Returns the whole header value.
 */
export function signWebhook(secret: string, t: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
