export { startDnsServer, reverseName } from './dns-server.ts';
export type { MxData, TestDnsServer, Zone } from './dns-server.ts';
export { captureLogs } from './logs.ts';
export { startTestServer } from './server.ts';
export type { TestServer } from './server.ts';
export { dotStuff, SmtpClient } from './smtp-client.ts';
export type { Reply } from './smtp-client.ts';
export { tempDir } from './temp.ts';
export { fixture } from './fixtures.ts';
