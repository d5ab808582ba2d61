import { definePlugin, accept } from '@posthorn/core';
export const stored: Buffer[] = [];
export default definePlugin({
  name: 'smoke', version: '0.1.0', core: '*',
  setup(ctx) {
    ctx.on('rcpt', async (tx, rcpt) => rcpt.address.endsWith('@localhost') ? accept() : undefined);
    ctx.on('queue', async (req) => { (globalThis as any).stored = [...((globalThis as any).stored ?? []), req.message]; return accept(); });
  },
});
