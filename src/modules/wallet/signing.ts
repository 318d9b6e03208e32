import { createHmac } from 'node:crypto';

/** SPEC §6: X-Signature = hex(HMAC_SHA256(secret, "{timestamp}.{requestId}.{rawBody}")). */
export function signWalletRequest(secret: string, timestamp: string, requestId: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${requestId}.${rawBody}`).digest('hex');
}
