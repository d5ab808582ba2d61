/**
 * Test plugin: records every recipient address as the rcpt hook receives it (after
 * smtp-server's parsing), and has no opinion. Tests read `seen`.
 */
import { definePlugin } from '@posthorn/core';

export const seen: string[] = [];

export default definePlugin({
  name: 'test-rcpt-probe',
  version: '0.1.0',
  core: '*',
  setup(ctx) {
    ctx.on(
      'rcpt',
      async (_tx, recipient) => {
        seen.push(recipient.address);
        return undefined;
      },
      { stage: -100 },
    );
  },
});
