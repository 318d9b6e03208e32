import express, { type RequestHandler } from 'express';
import { DomainError } from '../shared/errors.ts';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/**
 * SPEC §3: bodies are JSON only (else 415 UNSUPPORTED_MEDIA_TYPE) and size-limited
 * (else 413 PAYLOAD_TOO_LARGE). A POST without a body is allowed where a route takes none.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (METHODS_WITH_BODY.has(req.method) && hasBody(req) && !req.is('application/json')) {
      throw new DomainError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'the body must be application/json');
    }
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, type: 'application/json', strict: true })];
}
