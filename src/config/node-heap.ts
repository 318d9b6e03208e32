/**
 * The V8 heap flag every RGS node runs with (issue #19: node RSS ≤ 250 MB at the best
 * level). A node's live heap is ~60 MB under load, but with no limit given, V8 sizes the
 * old generation against this host's memory (a 4 GB limit on 24 GB) and lets it grow to
 * three times the live data between full collections: 185–207 MB of heap and 274–337 MB
 * of RSS at c=64. With any explicit limit up to 1 GB it grows by less (~122 MB of heap,
 * RSS 198–216 MB, more frequent but smaller full collections, no CPU cost above the
 * bench's noise: docs/performance.md, "Measured and not adopted" and the #19 goals).
 * 1 GB leaves the 10,000-client SSE shape, and whatever an operator adds, room to grow.
 */
export const NODE_HEAP_OPTIONS = '--max-old-space-size=1024';

/** NODE_OPTIONS for an RGS node: `current` with NODE_HEAP_OPTIONS added, unless it sets the old space's size itself. */
export function nodeOptionsWithHeap(current: string | undefined): string {
  if (current?.includes('--max-old-space-size')) return current;
  return [current, NODE_HEAP_OPTIONS].filter(Boolean).join(' ');
}
