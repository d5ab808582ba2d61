import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { load1 } from './load.ts';
import type { MailPeer, RunningMailPeer } from './mail-peer.ts';
import type { AccountGroup, HashKind } from './mail-data.ts';
import { REPO } from './repo.ts';
import { freshDir, runDirectory } from './scratch.ts';

/** What the report says of each peer, started or not. */
export interface PeerInfo {
  readonly id: string;
  readonly label: string;
  readonly version: string;
  readonly notes: string[];
  readonly unavailable?: string;
}

/**
 * The frame the mail-access benches (bench:pop3, bench:imap) share: a scratch run directory,
 * the load average sampled throughout, the running servers (stopped on SIGINT/SIGTERM too),
 * and at the end the raw JSON in .bench/ and the block in docs/benchmarks.md.
 */
export class MailBench {
  readonly name: string;
  readonly date = new Date();
  readonly began = performance.now();
  readonly load = { start: load1(), max: load1(), end: 0 };
  readonly running = new Map<string, RunningMailPeer>();
  readonly runDir: string;
  readonly #sampler: NodeJS.Timeout;

  private constructor(name: string, runDir: string) {
    this.name = name;
    this.runDir = runDir;
    this.#sampler = setInterval(() => (this.load.max = Math.max(this.load.max, load1())), 1000);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.log(`\n${signal}: stopping the servers`);
        void this.stopAll().finally(() => process.exit(130));
      });
    }
  }

  static async open(name: string): Promise<MailBench> {
    const date = new Date();
    return new MailBench(name, await runDirectory(`${name}-${date.toISOString().replace(/[:.]/g, '-')}`));
  }

  log(line: string): void {
    console.log(line);
  }

  /**
   * Prepares and starts each peer on the same accounts and hashes; `ready` runs once a peer
   * is up (the same first steps on both). A peer that cannot run is reported unavailable.
   */
  async startPeers(peers: readonly MailPeer[], groups: readonly AccountGroup[], hashes: Record<HashKind, string>, ready?: (instance: RunningMailPeer) => Promise<void>): Promise<PeerInfo[]> {
    const infos: PeerInfo[] = [];
    for (const peer of peers) {
      try {
        const version = await peer.version();
        const started = performance.now();
        this.log(`${peer.label}: ${version}; preparing ${groups.reduce((sum, g) => sum + g.users.length * g.messages.length, 0)} messages`);
        await peer.prepare(await freshDir(this.runDir, peer.id), groups, hashes);
        const instance = await peer.start();
        this.running.set(peer.id, instance);
        await ready?.(instance);
        this.log(`  ready on 127.0.0.1:${instance.port} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
        infos.push({ id: peer.id, label: peer.label, version, notes: [...instance.notes] });
      } catch (err) {
        this.log(`${peer.label}: unavailable: ${(err as Error).message}`);
        infos.push({ id: peer.id, label: peer.label, version: 'n/a', notes: [], unavailable: (err as Error).message });
      }
    }
    return infos;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((peer) => peer.stop().catch(() => undefined)));
    this.running.clear();
  }

  /** Stops the servers and the load sampler; the common head of the results. */
  async stop(quick: boolean): Promise<{ date: string; quick: boolean; seconds: number; machine: string; load: MailBench['load'] }> {
    await this.stopAll();
    clearInterval(this.#sampler);
    this.load.end = load1();
    return { date: this.date.toISOString(), quick, seconds: (performance.now() - this.began) / 1000, machine: machine(), load: this.load };
  }

  /** Writes the raw results (`<name>-<date>.json` and `<name>-latest.json`), the doc block unless told not to, and removes the scratch directory unless kept. */
  async finish(results: { readonly date: string }, report: { readonly write: boolean; readonly keep: boolean; readonly updateDoc: () => Promise<string>; readonly block: () => string }): Promise<void> {
    const dir = join(REPO, '.bench');
    await mkdir(dir, { recursive: true });
    const text = `${JSON.stringify(results, null, 2)}\n`;
    await writeFile(join(dir, `${this.name}-${results.date.replace(/[:.]/g, '-')}.json`), text);
    await writeFile(join(dir, `${this.name}-latest.json`), text);
    if (report.write) this.log(`report: ${await report.updateDoc()}`);
    this.log('');
    this.log(report.block());
    if (!report.keep) await rm(this.runDir, { recursive: true, force: true });
    else this.log(`kept ${this.runDir}`);
  }
}

/**
 * A cell's measured runs: each server's warm-up sizes its rounds, then the servers take turns
 * (A B, B A, A B) so that a change in machine load does not land on one only.
 */
export async function measureInTurns<Run>(ids: readonly string[], measuredRuns: number, roundsFor: (id: string) => Promise<number>, measure: (id: string, rounds: number) => Promise<Run>): Promise<{ rounds: Record<string, number>; runs: Run[] }> {
  const rounds: Record<string, number> = {};
  for (const id of ids) rounds[id] = await roundsFor(id);
  const runs: Run[] = [];
  for (let i = 0; i < measuredRuns; i++) {
    for (const id of i % 2 ? [...ids].reverse() : ids) runs.push(await measure(id, rounds[id]!));
  }
  return { rounds, runs };
}

function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim().split(' ').slice(0, 2).join(' ')}), ${Math.round(totalmem() / 2 ** 30)} GB RAM, kernel ${release()}, Node ${process.versions.node}`;
}
