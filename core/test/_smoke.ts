import { App, parseConfig } from '@posthorn/core';
import nodemailer from 'nodemailer';
const config = parseConfig({ hostname: 'mx.test', dataDir: '/tmp/smoke/var', log: { level: 'debug', format: 'json' }, listeners: [{ role: 'mx', port: 0, greetingDelay: 0 }], plugins: ['./test/_plug.ts'] }, undefined, '/work/main/core');
const app = await App.create(config);
const [mx] = await app.start();
const t = nodemailer.createTransport({ host: '127.0.0.1', port: mx!.port, secure: false, tls: { rejectUnauthorized: false } });
const info = await t.sendMail({ from: 'a@example.org', to: 'bob@localhost', subject: 'hi', text: 'hello\n.dot\n' });
console.log('RESPONSE', info.response);
try { await t.sendMail({ from: 'a@example.org', to: 'bob@elsewhere', subject: 'x', text: 'y' }); } catch (e) { console.log('REJECT', (e as Error).message); }
console.log(((globalThis as any).stored[0] as Buffer).toString());
await app.stop();
