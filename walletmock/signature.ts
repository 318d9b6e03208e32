import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createReplayGuard } from './replay-guard.ts';

type SignatureRefusal = 'BAD_SIGNATURE' | 'STALE_TIMESTAMP' | 'REPLAYED_REQUEST';

// SPEC §6: a timestamp more than 5 minutes off, either way, is refused.
const windowMs = 5 * 60 * 1000;
const hexSha256 = /^[0-9a-f]{64}$/i;
const digits = /^\d{1,16}$/;
const maxRequestIdLength = 128;
// The same bound as every other id the mock takes (schemas.ts).
const maxOperatorIdLength = 200;

/** What a request says about itself, as received. */
export interface ReceivedRequest {
  method: string;
  /** The request target as received (`/wallet/debit`): a request sent elsewhere is signed for elsewhere. */
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

export type Verification = { ok: true; operatorId: string } | { ok: false; refusal: SignatureRefusal };

export interface SignatureVerifier {
  /** The operator the request is signed for; nothing is applied on a refusal. */
  verify(request: ReceivedRequest): Verification;
}

/**
 * Checks X-Signature = hex(HMAC_SHA256(secret, "{timestamp}.{requestId}.{METHOD} {path}.{operatorId}.{rawBody}"))
 * (SPEC §6), with the operator id from X-Operator-Id. Several secrets may be accepted
 * because operators can share one mock; the operator id is signed, so a request is booked
 * only to the operator its signer named.
 */
export function createSignatureVerifier(options: {
  secrets: readonly string[];
  now?: () => number;
}): SignatureVerifier {
  const { secrets } = options;
  const now = options.now ?? Date.now;
  const replays = createReplayGuard();

  function signatureMatches(signed: string, rawBody: Buffer, given: Buffer): boolean {
    let matched = false;
    // Every secret is tried, so the time taken does not tell which one matched.
    for (const secret of secrets) {
      const expected = createHmac('sha256', secret).update(signed).update(rawBody).digest();
      if (timingSafeEqual(expected, given)) matched = true;
    }
    return matched;
  }

  const refuse = (refusal: SignatureRefusal): Verification => ({ ok: false, refusal });

  return {
    verify({ method, path, headers, rawBody }) {
      const timestamp = headers['x-timestamp'];
      const requestId = headers['x-request-id'];
      const operatorId = headers['x-operator-id'];
      const signature = headers['x-signature'];
      if (typeof timestamp !== 'string' || typeof requestId !== 'string' || typeof operatorId !== 'string' || typeof signature !== 'string') {
        return refuse('BAD_SIGNATURE');
      }
      if (requestId.length === 0 || requestId.length > maxRequestIdLength || !hexSha256.test(signature)) return refuse('BAD_SIGNATURE');
      if (operatorId.length === 0 || operatorId.length > maxOperatorIdLength) return refuse('BAD_SIGNATURE');
      // The signature is checked first: only the secret's holder learns anything
      // about the clock or the replay memory.
      const signed = `${timestamp}.${requestId}.${method} ${path}.${operatorId}.`;
      if (!signatureMatches(signed, rawBody, Buffer.from(signature, 'hex'))) return refuse('BAD_SIGNATURE');

      const current = now();
      const sentAt = digits.test(timestamp) ? Number(timestamp) : Number.NaN;
      if (!(Math.abs(current - sentAt) <= windowMs)) return refuse('STALE_TIMESTAMP');
      // Past sentAt + window the timestamp check refuses a replay by itself.
      if (replays.seen(requestId, sentAt + windowMs, current)) return refuse('REPLAYED_REQUEST');
      return { ok: true, operatorId };
    },
  };
}
