import { AUTHENTICATED, bad, type CommandSpec, ok } from './types.ts';

/**
 * IDLE (RFC 2177, RFC 9051 6.3.13): changes to the selected mailbox are pushed as they happen,
 * from the store's change notification (no polling), until the client sends DONE.
 */
export const idle: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    if (command.args.length) return bad('IDLE takes no arguments');
    session.flushUpdates();
    session.connection.writeLine('+ idling');
    session.idling = true;
    try {
      const done = session.readLine();
      let finished = false;
      void done.then(() => {
        finished = true;
        session.selected?.interruptIdle();
      });
      while (!finished) {
        const view = session.selected;
        if (!view) {
          await done;
          break;
        }
        await Promise.race([view.waitForChange(), done]);
        session.flushUpdates();
      }
      const line = await done;
      if (line === undefined) return ok('Connection closed');
      if (line.toString('latin1').toUpperCase() !== 'DONE') return bad('Expected DONE');
      return ok('IDLE terminated');
    } finally {
      session.idling = false;
    }
  },
};
