import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createReplayGuard } from './replay-guard.ts';

type SignatureRefusal = 'BAD_SIGNATURE' | 'STALE_TIMESTAMP' | 'REPLAYED_REQUEST';

// SPEC §6: a timestamp more than 5 minutes off, either way, is refused.
const windowMs = 5 * 60 * 1000;
const hexSha256 = /^[0-9a-f]{64}$/i;
const digits = /^\d{1,16}$/;
const maxRequestIdLength = 128;

export interface SignatureVerifier {
  /** null when the request may be applied; nothing is applied on a refusal. */
  verify(headers: IncomingHttpHeaders, rawBody: Buffer): SignatureRefusal | null;
}

/**
 * Checks X-Signature = hex(HMAC_SHA256(secret, "{timestamp}.{requestId}.{rawBody}")).
 * Several secrets may be accepted because operators can share one mock.
 */
export function createSignatureVerifier(options: {
  secrets: readonly string[];
  now?: () => number;
}): SignatureVerifier {
  const { secrets } = options;
  const now = options.now ?? Date.now;
  const replays = createReplayGuard();

  function signatureMatches(timestamp: string, requestId: string, rawBody: Buffer, given: Buffer): boolean {
    let matched = false;
    // Every secret is tried, so the time taken does not tell which one matched.
    for (const secret of secrets) {
      const expected = createHmac('sha256', secret).update(`${timestamp}.${requestId}.`).update(rawBody).digest();
      if (timingSafeEqual(expected, given)) matched = true;
    }
    return matched;
  }

  return {
    verify(headers, rawBody) {
      const timestamp = headers['x-timestamp'];
      const requestId = headers['x-request-id'];
      const signature = headers['x-signature'];
      if (typeof timestamp !== 'string' || typeof requestId !== 'string' || typeof signature !== 'string') {
        return 'BAD_SIGNATURE';
      }
      if (requestId.length === 0 || requestId.length > maxRequestIdLength || !hexSha256.test(signature)) {
        return 'BAD_SIGNATURE';
      }
      // The signature is checked first: only the secret's holder learns anything
      // about the clock or the replay memory.
      if (!signatureMatches(timestamp, requestId, rawBody, Buffer.from(signature, 'hex'))) return 'BAD_SIGNATURE';

      const current = now();
      const sentAt = digits.test(timestamp) ? Number(timestamp) : Number.NaN;
      if (!(Math.abs(current - sentAt) <= windowMs)) return 'STALE_TIMESTAMP';
      // Past sentAt + window the timestamp check refuses a replay by itself.
      if (replays.seen(requestId, sentAt + windowMs, current)) return 'REPLAYED_REQUEST';
      return null;
    },
  };
}
