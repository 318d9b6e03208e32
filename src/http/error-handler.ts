import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DomainError } from '../shared/errors.ts';
import { requestFields } from './observe.ts';
import { sendProblem } from './problem.ts';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

// body-parser's own errors (bad JSON, too large, bad charset) are client errors with stable codes.
function bodyParserProblem(error: HttpLikeError): { status: number; code: string; title: string } | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large' };
    case 'entity.parse.failed':
      return { status: 400, code: 'MALFORMED_JSON', title: 'Malformed JSON body' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported encoding or charset' };
    case 'request.aborted':
      return { status: 400, code: 'REQUEST_ABORTED', title: 'Request aborted' };
    default:
      return undefined;
  }
}

/** The one place errors become HTTP answers (STYLE: errors are values with codes). */
export const errorHandler = (logger: Logger): ErrorRequestHandler => (error: unknown, req, res, _next) => {
  if (res.headersSent) {
    logger.warn({ err: error, req: requestFields(req) }, 'error after the response started');
    res.destroy();
    return;
  }
  if (error instanceof DomainError) {
    sendProblem(res, { status: error.status, code: error.code, title: error.title, detail: error.detail, ...error.extra });
    return;
  }
  const httpError = error as HttpLikeError;
  const known = bodyParserProblem(httpError);
  if (known) {
    sendProblem(res, { ...known, detail: (error as Error).message });
    return;
  }
  const status = httpError.status ?? httpError.statusCode;
  // express answers a path with broken percent-encoding with a URIError carrying status 400.
  if (error instanceof URIError && status === 400) {
    sendProblem(res, { status: 400, code: 'MALFORMED_PATH', title: 'Malformed path', detail: 'the path is not valid percent-encoding' });
    return;
  }
  if (status && status >= 400 && status < 500 && httpError.expose) {
    sendProblem(res, { status, code: 'BAD_REQUEST', title: 'Bad request', detail: (error as Error).message });
    return;
  }
  const errorId = randomUUID();
  logger.error({ err: error, errorId, req: requestFields(req) }, 'unhandled error');
  sendProblem(res, { status: 500, code: 'INTERNAL_ERROR', title: 'Internal error', detail: 'see the server log', errorId });
};

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, { status: 404, code: 'NOT_FOUND', title: 'Not found', detail: `no route for ${req.method} ${req.baseUrl}${req.path}` });
};
