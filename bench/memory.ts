import { measureIdleMemory } from './drivers/idle-memory.ts';
import { nodePeerSetup } from './lib/node-flags.ts';
import type { MemoryCell } from './lib/results.ts';
import type { Peer, PeerContext, RunningPeer } from './peers/peer.ts';

/**
 * Starts a fresh instance of a Node peer (so throughput runs leave nothing behind in its heap)
 * and measures its memory per idle connection.
 */
export async function measurePeerMemory(
  peer: Peer,
  base: Omit<PeerContext, 'nodeFlags' | 'nodeEnv'>,
  connections: number,
  track: (running: RunningPeer | undefined) => void,
): Promise<MemoryCell> {
  const setup = nodePeerSetup(base.runDir, `${peer.id}-memory`);
  const running = await peer.start({ ...base, nodeFlags: setup.flags, nodeEnv: setup.env });
  track(running);
  try {
    const result = await measureIdleMemory({ port: running.port, pid: running.pid, connections, gcAckFile: setup.gcAck });
    return { peer: peer.id, ...result };
  } finally {
    await running.stop();
    track(undefined);
  }
}
