import { EventEmitter } from 'node:events';
import type { StreamEntry } from '../../src/modules/stream/entries.ts';
import { parseStreamId, ZERO_ID } from '../../src/modules/stream/stream-id.ts';

// For unit tests of src/modules/stream: an SSE connection's response without a socket.

/**
 * Just enough of a ServerResponse: records what is written; `accepting` plays a full
 * socket, and what is written meanwhile counts as its unsent backlog until 'drain'.
 */
export class RecordingResponse extends EventEmitter {
  written = '';
  /** Every chunk as written, to tell which writes carried the same bytes. */
  chunks: (string | Buffer)[] = [];
  destroyed = false;
  accepting = true;
  writableLength = 0;
  headersSent = false;
  writableEnded = false;
  socket = null;
  writeHead() {
    this.headersSent = true;
  }
  flushHeaders() {}
  write(chunk: string | Buffer) {
    this.chunks.push(chunk);
    this.written += chunk.toString();
    if (!this.accepting) this.writableLength += Buffer.byteLength(chunk);
    return this.accepting;
  }
  drain() {
    this.accepting = true;
    this.writableLength = 0;
    this.emit('drain');
  }
  end(chunk?: string) {
    if (chunk) this.written += chunk;
    this.writableEnded = true;
  }
  destroy() {
    this.destroyed = true;
  }
  ids() {
    return [...this.written.matchAll(/^id: (.+)$/gm)].map((match) => match[1]);
  }
}

/** A parsed stream entry as the reader would hand it over, with a minimal frame. */
export function streamEntry(raw: string, type = 'bet.placed', playerId = 'p1'): StreamEntry {
  const id = parseStreamId(raw) ?? ZERO_ID;
  return { id, type, playerId, frame: Buffer.from(`id: ${id.text}\nevent: ${type}\ndata: {}\n\n`) };
}
