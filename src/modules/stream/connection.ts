import type { ServerResponse } from 'node:http';
import type { StreamEntry } from './entries.ts';
import { compileFilter, type EntryMatcher, type EventFilter } from './filter.ts';
import { endFrame, HEARTBEAT_FRAME, positionFrame, resetFrame, retryFrame, type EndReason, type ResetReason } from './frames.ts';
import { sseClients, sseClientsDropped, sseEventsSent } from './metrics.ts';
import { compareIds, type StreamId } from './stream-id.ts';

export interface ConnectionSettings {
  heartbeatMs: number;
  retryMs: number;
  /** Live entries a connection may hold while its history is replayed (SSE_CLIENT_BUFFER). */
  clientBuffer: number;
  /** Bytes written to a client and not yet flushed to its socket past which it is ended (SSE_MAX_BACKLOG_BYTES). */
  maxBacklogBytes: number;
}

// A client that stops reading keeps its socket's send buffer full: once its stream has
// been ended, it gets this long to read the rest before the socket is cut.
const CLOSE_GRACE_MS = 10_000;

/**
 * One client's GET /stream response (SPEC §7). It holds live entries while its history is
 * replayed, writes each entry at most once and in stream order (a cursor of the last id
 * it has passed, compared numerically), applies the client's filter, ends the stream of a
 * client whose unsent backlog passed `maxBacklogBytes` (SPEC §11: a client that does not
 * read cannot make the node hold its events without bound), and sends heartbeat comments
 * when nothing else was written for `heartbeatMs`.
 */
export class SseConnection {
  closed = false;
  /** The one player this client is filtered to, if any: the fan-out visits it only for that player's entries. */
  readonly playerId: string | undefined;
  /** No filter at all: the fan-out hands it each batch's shared bytes. */
  readonly unfiltered: boolean;
  private cursor: StreamId | undefined;
  private replaying = true;
  private held: StreamEntry[] = [];
  private heldDropped = false;
  private blocked = false;
  private writableWaiters: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly matches: EntryMatcher;

  constructor(
    private readonly res: ServerResponse,
    filter: EventFilter,
    private readonly settings: ConnectionSettings,
    private readonly onClose: (connection: SseConnection) => void,
  ) {
    this.matches = compileFilter(filter);
    this.playerId = filter.playerId;
    this.unfiltered = filter.playerId === undefined && filter.types === undefined;
    sseClients.inc();
    res.once('close', () => this.release());
    res.on('error', () => this.release());
  }

  /** 200, the SSE headers (no caching, no proxy buffering) and the reconnection hint, flushed at once. */
  open(): void {
    if (this.closed) return;
    this.writeHead();
    this.res.flushHeaders();
    this.res.socket?.setNoDelay(true);
    this.heartbeat = setTimeout(() => this.beat(), this.settings.heartbeatMs);
    this.heartbeat.unref();
    this.write(retryFrame(this.settings.retryMs), 0);
  }

  /**
   * Live entries from the operator's reader, in stream order. `whole` is all their frames
   * in one Buffer, shared with every other unfiltered client (given only to those).
   */
  deliver(entries: readonly StreamEntry[], whole?: Buffer): void {
    if (this.closed) return;
    if (!this.replaying) {
      this.send(entries, whole);
      return;
    }
    for (const entry of entries) this.held.push(entry);
    if (this.held.length <= this.settings.clientBuffer) return;
    // Too much live traffic while history is replayed. A client that is not reading is
    // slow; otherwise the held entries are let go and replay reads them from the stream.
    if (this.blocked) {
      this.end('slow_consumer');
      return;
    }
    this.held = [];
    this.heldDropped = true;
  }

  /** Starts a replay after `after`: live entries up to it are never sent. */
  beginReplay(after: StreamId): void {
    this.cursor = after;
  }

  /** Call before requesting each replay page; see `heldDroppedSincePage`. */
  beginPage(): void {
    this.heldDropped = false;
  }

  /** Whether held live entries were let go since `beginPage`: replay must read another page to cover them. */
  get heldDroppedSincePage(): boolean {
    return this.heldDropped;
  }

  /** Writes one replayed page; resolves once the client has taken it (or is gone). */
  async replayPage(entries: StreamEntry[], lastId: StreamId | undefined): Promise<void> {
    this.send(entries);
    if (lastId && (!this.cursor || compareIds(lastId, this.cursor) > 0)) this.cursor = lastId;
    await this.writable();
  }

  /**
   * Ends replay: held live entries after the cursor are sent, then everything as it
   * comes. `forgetCursor` when the stream started over, so its new ids may be lower.
   */
  goLive(forgetCursor = false): void {
    if (forgetCursor) this.cursor = undefined;
    this.replaying = false;
    const held = this.held;
    this.held = [];
    if (!this.closed) this.send(held);
  }

  /** `stream.reset`: history is not complete after the client's id (SPEC §7). */
  reset(reason: ResetReason, forgetCursor = false): void {
    if (forgetCursor) this.cursor = undefined;
    this.write(resetFrame(reason), 0);
  }

  /**
   * The reader found entries gone that this live connection had not received yet (Redis
   * lost or trimmed its stream). A connection still replaying finds out on its next page.
   */
  historyLost(restarted: boolean): void {
    if (this.replaying) return;
    this.reset('retention', restarted);
  }

  /** Ends the stream with `stream.end`; the client reconnects with its Last-Event-ID. */
  end(reason: EndReason): void {
    if (this.closed) return;
    sseClientsDropped.inc({ reason });
    this.terminate(endFrame(reason));
  }

  /**
   * This request replayed all it may (SSE_MAX_REPLAY): the stream ends, and the client
   * reconnects from where it got to. An `id:`-only block first moves its Last-Event-ID to
   * the last entry replay passed, sent or filtered out, so a client whose filter matched
   * nothing in this stretch does not start it over; then `stream.end` and the `retry:` hint.
   */
  replayLimitReached(): void {
    if (this.closed) return;
    sseClientsDropped.inc({ reason: 'replay_limit' });
    const position = this.cursor ? positionFrame(this.cursor.text) : '';
    this.terminate(position + endFrame('replay_limit') + retryFrame(this.settings.retryMs));
  }

  /**
   * Graceful shutdown: a last reconnection hint, then the end of the stream. A client whose
   * socket is not taking what it was sent gets its connection cut at once instead: a hint
   * queued behind its backlog would reach it no sooner than that backlog, and the node must
   * exit within SHUTDOWN_TIMEOUT_MS however much is queued. It resumes from the last frame
   * it received whole (its Last-Event-ID), so cutting loses nothing (SPEC §7).
   */
  shutdown(): void {
    if (this.closed) return;
    sseClientsDropped.inc({ reason: 'shutdown' });
    if (this.blocked) {
      const { res } = this;
      this.release();
      res.destroy();
      return;
    }
    this.terminate(retryFrame(this.settings.retryMs));
  }

  private writeHead(): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
  }

  /** The entries past the cursor that match the filter, in one write (one socket write per client per batch). */
  private send(entries: readonly StreamEntry[], whole?: Buffer): void {
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (!first || !last) return;
    // Live, the cursor is almost always behind the whole batch: then an unfiltered client
    // takes the shared bytes as they are, with no per-entry work.
    if (whole && (!this.cursor || compareIds(first.id, this.cursor) > 0)) {
      this.cursor = last.id;
      this.write(whole, entries.length);
      return;
    }
    const frames: Buffer[] = [];
    for (const entry of entries) {
      if (this.cursor && compareIds(entry.id, this.cursor) <= 0) continue;
      this.cursor = entry.id;
      if (this.matches(entry)) frames.push(entry.frame);
    }
    if (frames.length === 0) return;
    this.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames), frames.length);
  }

  private write(chunk: string | Buffer, events: number): void {
    if (this.closed) return;
    // What the socket has not taken yet stays in this process (the kernel's buffers are
    // already full by then): past the bound the client is cut off, and it resumes with its
    // Last-Event-ID, so nothing is lost (SPEC §7, §11). Checked before writing, so one
    // page or batch on an empty buffer always goes out.
    if (this.res.writableLength > this.settings.maxBacklogBytes) {
      this.end('slow_consumer');
      return;
    }
    this.heartbeat?.refresh();
    if (events > 0) sseEventsSent.inc(events);
    if (this.res.write(chunk) || this.blocked) return;
    this.blocked = true;
    this.res.once('drain', this.onDrain);
  }

  private readonly onDrain = () => {
    this.blocked = false;
    this.wakeWriters();
  };

  private writable(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  private wakeWriters(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const wake of waiters) wake();
  }

  private beat(): void {
    if (this.closed) return;
    // A client behind a full socket gets no comment queued; the timer just re-arms.
    if (this.blocked) this.heartbeat?.refresh();
    else this.write(HEARTBEAT_FRAME, 0);
  }

  private terminate(lastFrame: string): void {
    const { res } = this;
    this.release();
    if (res.writableEnded) return;
    // Even a connection ended before it opened is a stream, so EventSource reconnects.
    if (!res.headersSent) this.writeHead();
    res.end(lastFrame);
    // The response was keep-alive: close the connection too, so a draining server is not
    // held by it, and cut it if the client never reads what is left.
    const socket = res.socket;
    if (!socket) return;
    socket.end();
    const cut = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  }

  /** Frees everything the connection holds; runs once, whoever ends it. */
  private release(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.heartbeat);
    this.res.off('drain', this.onDrain);
    this.held = [];
    this.wakeWriters();
    sseClients.dec();
    this.onClose(this);
  }
}
