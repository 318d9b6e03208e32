import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Summarises the nodes' V8 CPU profiles (`node --cpu-prof`, written when a node exits
// gracefully): self time aggregated by function (name + file + line; for project files
// the line is in tsx's transpiled output) and by file or package, over the samples that
// fall inside the measured load window.

interface CpuProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  files: string[];
  /** Busy (non-idle) ms inside the window, all profiles together. */
  busyMs: number;
  /** Wall ms of the window times the number of profiles. */
  windowMs: number;
  byFunction: { name: string; ms: number }[];
  byFile: { name: string; ms: number }[];
  /** Time in socket writes (writev/writeBuffer), by the nearest package or project file up the stack. */
  writesByCaller: { name: string; ms: number }[];
}

function shortUrl(url: string, root: string): string {
  if (!url) return '';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const relative = file.startsWith(root) ? file.slice(root.length) : file;
  return relative.replace(/^\/+/, '');
}

/** node_modules/<package> (scoped too), node:internal, or the project file itself. */
function fileGroup(url: string): string {
  if (!url) return '(native / V8)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return `npm:${match[1]}`;
  if (url.startsWith('node:')) return 'node: (built-in modules)';
  return url;
}

export function summariseProfiles(
  dir: string,
  root: string,
  /** Per profile file, the window to keep, in ms since that process's profile started. */
  windowOf: (file: string) => { fromMs: number; toMs: number } | undefined,
): ProfileSummary {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread; tsx's
    // module-loader hooks run on a thread of their own, idle once the modules are loaded.
    .filter((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name))
    .map((name) => path.join(dir, name));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const writesByCaller = new Map<string, number>();
  let busyUs = 0;
  let windowUs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const callerOf = (id: number): string => {
      for (let parent = parents.get(id); parent !== undefined; parent = parents.get(parent)) {
        const where = shortUrl(nodes.get(parent)?.callFrame.url ?? '', root);
        if (where && !where.startsWith('node:')) return fileGroup(where);
      }
      return '(unknown)';
    };
    const window = windowOf(file);
    const fromUs = (window?.fromMs ?? 0) * 1000;
    const toUs = (window?.toMs ?? Number.POSITIVE_INFINITY) * 1000;
    windowUs += Math.min(toUs, profile.endTime - profile.startTime) - fromUs;
    let t = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      const delta = profile.timeDeltas[i] ?? 0;
      t += delta;
      if (t < fromUs || t > toUs) continue;
      const node = nodes.get(profile.samples[i] ?? -1);
      if (!node) continue;
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      if (functionName === '(idle)') continue;
      busyUs += delta;
      const where = shortUrl(url, root);
      const name = `${functionName || '(anonymous)'}${where ? `  ${where}:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
      const group = functionName.startsWith('(') && !url ? functionName : fileGroup(where);
      byFile.set(group, (byFile.get(group) ?? 0) + delta);
      if (!url && (functionName === 'writev' || functionName === 'writeBuffer')) {
        const caller = callerOf(node.id);
        writesByCaller.set(caller, (writesByCaller.get(caller) ?? 0) + delta);
      }
    }
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  return { files, busyMs: busyUs / 1000, windowMs: windowUs / 1000, byFunction: top(byFunction, 25), byFile: top(byFile, 20), writesByCaller: top(writesByCaller, 8) };
}
