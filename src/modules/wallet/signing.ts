import { createHmac } from 'node:crypto';

/** What a wallet request's signature covers (SPEC §6). */
export interface SignedWalletRequest {
  timestamp: string;
  requestId: string;
  method: string;
  /** The request path as sent, base path of the wallet URL included (`/api/wallet/debit`). */
  path: string;
  operatorId: string;
  rawBody: string;
}

/**
 * SPEC §6: X-Signature = hex(HMAC_SHA256(secret, "{timestamp}.{requestId}.{METHOD} {path}.{operatorId}.{rawBody}")).
 * Method and path are signed so a signed body is valid only on the route it was sent to;
 * the operator id so one operator's request cannot be presented as another's to a wallet
 * that serves several.
 */
export function signWalletRequest(secret: string, request: SignedWalletRequest): string {
  const { timestamp, requestId, method, path, operatorId, rawBody } = request;
  return createHmac('sha256', secret).update(`${timestamp}.${requestId}.${method.toUpperCase()} ${path}.${operatorId}.${rawBody}`).digest('hex');
}
