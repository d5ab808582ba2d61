import { readFile } from 'node:fs/promises';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Which part of the system a frame belongs to: a package, a Posthorn workspace, Node itself. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const workspace = /\/(core|plugins\/[^/]+|packages\/[^/]+|bench)\/(?:src\/)?(.*)$/.exec(url);
  if (workspace) return `posthorn ${workspace[1]}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(\w+).*/, 'node:$1');
  return url;
}

function table(rows: [string, number][], total: number, limit: number): string {
  return rows
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`)
    .join('\n');
}

/**
 * Self time per function and per area from a V8 .cpuprofile, plus inclusive time of Posthorn's
 * own functions (what a hook step costs with everything it calls).
 */
export async function summariseCpuProfile(file: string): Promise<string> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  let window = 'whole process';
  if (profile.samples && profile.timeDeltas) {
    // Only the traffic window counts: from the first to the last sample inside smtp-server's
    // command dispatch, so start-up (module loading, schema compiling) and shutdown stay out.
    const inSmtp = (id: number): boolean => {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame?.functionName === '_onCommand' && frame.url.includes('smtp-server')) return true;
      }
      return false;
    };
    let first = profile.samples.findIndex(inSmtp);
    let last = profile.samples.length - 1;
    while (last > 0 && !inSmtp(profile.samples[last]!)) last -= 1;
    if (first < 0) first = 0;
    else window = 'traffic window: first to last sample in an SMTP command';
    for (let i = first; i <= last; i++) {
      const id = profile.samples[i]!;
      self.set(id, (self.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
    }
  } else {
    const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
    for (const node of profile.nodes) self.set(node.id, ((node.hitCount ?? 0) / total) * (profile.endTime - profile.startTime));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);

  const fnSelf = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^file:\/\/.*?\/(node_modules|core|plugins|packages|bench)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    fnSelf.set(name, (fnSelf.get(name) ?? 0) + us);
    const area = areaOf(url, functionName);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + us);
  }

  // Inclusive time of frames in Posthorn's own code: each sample counts once per distinct
  // Posthorn function on its stack.
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (!/\/(core|plugins\/[^/]+)\/src\//.test(url)) continue;
      const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(core|plugins\/[^/]+)\/src\//, '$1/')}:${lineNumber + 1}`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }

  return [
    `CPU profile ${file}`,
    `${(total / 1e6).toFixed(1)} s sampled (${window}), ${((100 * idle) / total).toFixed(1)} % idle`,
    '',
    'Self time by area:',
    table([...areaSelf], total, 20),
    '',
    'Self time by function (top 30):',
    table([...fnSelf], total, 30),
    '',
    "Inclusive time of Posthorn's own functions (top 20):",
    table([...inclusive], total, 20),
    '',
  ].join('\n');
}
