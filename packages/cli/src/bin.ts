#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The `posthorn` command. Kept tiny on purpose: the libuv threadpool size is read once, when
// something first uses the pool (fs, dns.lookup, crypto.scrypt), so it must be set before any
// module that might touch the pool is even loaded. Hence no static imports here.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { main } = await import('./main.ts');
process.exit(await main(process.argv.slice(2)));
