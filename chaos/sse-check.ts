import { compareStreamIds } from './stream-id.ts';
import type { FollowerFrame } from './sse-follower.ts';

// SPEC §7/§10.3 for one SSE client: what it received, against the operator's committed
// events in stream order. A segment runs from one `stream.reset` to the next; within a
// segment the events received must be exactly the committed ones between the first and
// the last, in order, each once. A reset is the product saying "history is incomplete
// here, resync through REST" — allowed, and counted. The last segment must reach the end.

export interface SseReport {
  gaps: number;
  duplicates: number;
  resets: number;
  /** Events received that were never committed for this operator. */
  strangers: string[];
  samples: string[];
}

/** `committed`: the operator's committed stream ids, sorted; `eventIds`: its committed event ids. */
export function checkSseFrames(name: string, frames: readonly FollowerFrame[], committed: readonly string[], eventIds: ReadonlySet<string>): SseReport {
  const report: SseReport = { gaps: 0, duplicates: 0, resets: 0, strangers: [], samples: [] };

  /** The first index whose id is after `id` (`inclusive`: at or after it). */
  const indexAfter = (id: string, inclusive = false) => {
    let low = 0;
    let high = committed.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const order = compareStreamIds(committed[middle]!, id);
      if (order < 0 || (order === 0 && !inclusive)) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  /** Committed stream ids strictly after `from` (and strictly before `to`, if given). */
  const between = (from: string, to?: string) => committed.slice(indexAfter(from), to === undefined ? committed.length : indexAfter(to, true));

  let previous: string | undefined;
  let seen = new Set<string>();
  for (const frame of frames) {
    if (frame.kind === 'reset') {
      report.resets += 1;
      previous = undefined;
      seen = new Set();
      continue;
    }
    if (frame.kind === 'end') continue;
    if (!eventIds.has(frame.eventId)) report.strangers.push(`${frame.eventId} (${frame.streamId})`);
    if (seen.has(frame.eventId) || (previous !== undefined && compareStreamIds(frame.streamId, previous) <= 0)) {
      report.duplicates += 1;
      if (report.samples.length < 5) report.samples.push(`${name}: ${frame.eventId} (${frame.streamId}) again or out of order after ${previous}`);
      continue;
    }
    if (previous !== undefined) {
      const skipped = between(previous, frame.streamId);
      report.gaps += skipped.length;
      if (skipped.length && report.samples.length < 5) report.samples.push(`${name}: ${skipped.length} missing between ${previous} and ${frame.streamId} (first ${skipped[0]})`);
    }
    previous = frame.streamId;
    seen.add(frame.eventId);
  }
  if (previous !== undefined) {
    const tail = between(previous);
    report.gaps += tail.length;
    if (tail.length && report.samples.length < 5) report.samples.push(`${name}: the last ${tail.length} never arrived (after ${previous})`);
  }
  return report;
}
