import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

// SPEC §6: the mock's errors are JSON with a `code`. A request node's HTTP parser refuses
// before the mock's routes see it (a request line or headers over 16 KiB, broken framing)
// gets the same, not node's bare status line.

function errorFor(error: NodeJS.ErrnoException): { status: number; code: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'HEADERS_TOO_LARGE' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT' };
    default:
      return { status: 400, code: 'MALFORMED_REQUEST' };
  }
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, code } = errorFor(error);
    const body = JSON.stringify({ code });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
