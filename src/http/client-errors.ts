import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemJson, type ProblemInput } from './problem.ts';

function problemFor(error: NodeJS.ErrnoException): ProblemInput {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'HEADERS_TOO_LARGE', title: 'Request headers too large', detail: 'the request line and headers exceed 16 KiB' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large', detail: 'chunk extensions too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', title: 'Request timeout', detail: 'the request was not received in time' };
    default:
      return { status: 400, code: 'MALFORMED_REQUEST', title: 'Malformed request', detail: 'the request is not valid HTTP/1.1' };
  }
}

/**
 * SPEC §3/§10.4: a request node's HTTP parser refuses before express sees it (a request
 * line or headers over 16 KiB, bytes a request target cannot hold, broken framing) is
 * answered problem+json like any other bad input, not with node's bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const problem = problemFor(error);
    const body = problemJson(problem);
    socket.end(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
