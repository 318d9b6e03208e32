import type { SseConnection } from './connection.ts';
import type { StreamEntry } from './entries.ts';

/**
 * One operator's live connections on this node, grouped by what they asked for, and the
 * delivery of each batch its reader hands over (SPEC §7; issue #19: thousands of clients
 * per node). Every frame was encoded once when the batch was parsed (entries.ts); here a
 * batch is concatenated once more, so every unfiltered client is written that same Buffer
 * in one write. A client filtered to one player (`playerId=`) is visited only for that
 * player's entries, found by the entry's parsed `playerId`; a client filtered by type only
 * runs its compiled matcher over the batch. No client encodes or serialises anything.
 */
export class OperatorFanOut {
  private readonly everything = new Set<SseConnection>();
  private readonly byPlayer = new Map<string, Set<SseConnection>>();
  private readonly byTypeOnly = new Set<SseConnection>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(connection: SseConnection): void {
    const { playerId } = connection;
    if (playerId !== undefined) {
      let group = this.byPlayer.get(playerId);
      if (!group) this.byPlayer.set(playerId, (group = new Set()));
      group.add(connection);
    } else if (connection.unfiltered) this.everything.add(connection);
    else this.byTypeOnly.add(connection);
    this.count += 1;
  }

  /** Whether the connection was here (it is not any more). */
  delete(connection: SseConnection): boolean {
    const { playerId } = connection;
    let removed: boolean;
    if (playerId !== undefined) {
      const group = this.byPlayer.get(playerId);
      removed = group?.delete(connection) ?? false;
      if (group?.size === 0) this.byPlayer.delete(playerId);
    } else removed = (connection.unfiltered ? this.everything : this.byTypeOnly).delete(connection);
    if (removed) this.count -= 1;
    return removed;
  }

  connections(): SseConnection[] {
    return [...this.everything, ...this.byTypeOnly, ...[...this.byPlayer.values()].flatMap((group) => [...group])];
  }

  /** A batch from the reader, in stream order. A connection that ends meanwhile leaves its set; iteration goes on. */
  deliver(entries: StreamEntry[]): void {
    if (entries.length === 0) return;
    if (this.everything.size > 0) {
      const whole = entries.length === 1 ? entries[0]!.frame : Buffer.concat(entries.map((entry) => entry.frame));
      for (const connection of this.everything) connection.deliver(entries, whole);
    }
    for (const connection of this.byTypeOnly) connection.deliver(entries);
    if (this.byPlayer.size > 0) {
      for (const [playerId, ofPlayer] of entriesByPlayer(entries, this.byPlayer)) {
        for (const connection of this.byPlayer.get(playerId) ?? []) connection.deliver(ofPlayer);
      }
    }
  }

  historyLost(restarted: boolean): void {
    for (const connection of this.connections()) connection.historyLost(restarted);
  }
}

/** The batch's entries of each player someone here is filtered to, in stream order. */
function entriesByPlayer(entries: StreamEntry[], wanted: ReadonlyMap<string, unknown>): Map<string, StreamEntry[]> {
  const grouped = new Map<string, StreamEntry[]>();
  for (const entry of entries) {
    if (entry.playerId === undefined || !wanted.has(entry.playerId)) continue;
    const list = grouped.get(entry.playerId);
    if (list) list.push(entry);
    else grouped.set(entry.playerId, [entry]);
  }
  return grouped;
}
