/** What the orchestrator knows about one server under test. */
export interface PeerContext {
  /** Scratch directory of this run; a peer makes its own subdirectory in it. */
  readonly runDir: string;
  /** An smtp-sink that durable peers relay their queue to (Postfix, Haraka's outbound queue). */
  readonly relayPort: number;
  /** Extra node flags for Node peers (preloads for GC and the DNS audit, --cpu-prof). */
  readonly nodeFlags: readonly string[];
  /** Environment for Node peers (where the preloads write). */
  readonly nodeEnv: Readonly<Record<string, string>>;
  /** Name of the peer's scratch subdirectory when the default would clash (a second instance in one run). */
  readonly dirName?: string;
}

export interface Settled {
  readonly drained: boolean;
  /** Messages still queued when the wait ended. */
  readonly left: number;
}

export interface RunningPeer {
  readonly port: number;
  /** The process whose resident set is the server's (the one to signal for a GC). */
  readonly pid: number;
  readonly logFile: string;
  /** Facts to repeat in the report (how it was started, what a 250 means). */
  readonly notes: readonly string[];
  /** Waits until the peer's queue has drained, so the next measurement starts from empty. */
  settle(timeoutMs: number): Promise<Settled>;
  stop(): Promise<void>;
}

export interface Peer {
  /** Stable key used in the results file. */
  readonly id: string;
  /** Short name for the report. */
  readonly label: string;
  /** What a 250 after DATA means for this peer. */
  readonly accepts: string;
  /** Whether the process is Node and takes the GC preload. */
  readonly node: boolean;
  /** Installs what it needs (Haraka); throws with a reason when the peer cannot run here. */
  prepare?(ctx: PeerContext): Promise<void>;
  version(): Promise<string>;
  start(ctx: PeerContext): Promise<RunningPeer>;
}

/** settle() for peers that keep nothing. */
export async function nothingQueued(): Promise<Settled> {
  return { drained: true, left: 0 };
}
