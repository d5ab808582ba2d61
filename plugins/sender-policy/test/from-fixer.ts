/**
 * Test plugin: a header fixer at data stage 0 that replaces From: with the value of an
 * `X-Test-Set-From:` field, to show that sender-policy (stage 50) checks the fixed header.
 */
import { definePlugin } from '@posthorn/core';

export default definePlugin({
  name: 'test-from-fixer',
  version: '0.1.0',
  core: '*',
  setup(ctx) {
    ctx.on(
      'data',
      async (_tx, message) => {
        const replacement = message.headers.get('X-Test-Set-From');
        if (replacement !== undefined) {
          message.headers.set('From', replacement);
          message.headers.remove('X-Test-Set-From');
        }
        return undefined;
      },
      { stage: 0 },
    );
  },
});
