import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argon2Available, checkPasswordHash, DEFAULT_SCRYPT_COST, hashPassword, verifyPassword } from '../src/passwords.ts';
import { formatPhc, parsePhc } from '../src/phc.ts';

describe('password hashes', () => {
  it('hashes into a scrypt PHC string with the default cost and verifies it', async () => {
    const hash = await hashPassword('correct horse');
    assert.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horse ', hash), false);
    assert.deepEqual(DEFAULT_SCRYPT_COST, { ln: 15, r: 8, p: 1 });
  });

  it('uses a fresh salt for every hash', async () => {
    const cost = { ln: 4, r: 8, p: 1 };
    assert.notEqual(await hashPassword('same', cost), await hashPassword('same', cost));
  });

  it('round-trips a PHC string through parse and format', () => {
    const text = '$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo';
    const phc = parsePhc(text);
    assert.equal(phc.id, 'argon2id');
    assert.equal(phc.version, 19);
    assert.deepEqual(phc.params, { m: 65536, t: 2, p: 4 });
    assert.equal(phc.salt.toString(), 'somesalt');
    assert.equal(formatPhc(phc), text);
  });

  it('verifies the scrypt test vector of RFC 7914 (P=password, S=NaCl, N=1024, r=8, p=16)', async () => {
    const hash = Buffer.from('fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640', 'hex');
    const phc = formatPhc({ id: 'scrypt', params: { ln: 10, r: 8, p: 16 }, salt: Buffer.from('NaCl'), hash });
    assert.equal(await verifyPassword('password', phc), true);
    assert.equal(await verifyPassword('passwort', phc), false);
    // RFC 7914's salt is 4 bytes: fine to verify, but the loader wants 8 or more in a file.
    assert.match(checkPasswordHash(phc) ?? '', /salt/);
  });

  it('verifies Argon2 hashes made by the reference implementation', { skip: !argon2Available() && 'no crypto.argon2' }, async () => {
    const argon2id = '$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo';
    const argon2i = '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG';
    assert.equal(await verifyPassword('password', argon2id), true);
    assert.equal(await verifyPassword('Password', argon2id), false);
    assert.equal(await verifyPassword('password', argon2i), true);
    // Same salt and hash under the other variant must not verify.
    assert.equal(await verifyPassword('password', argon2i.replace('argon2i', 'argon2id')), false);
  });

  it('refuses hashes it cannot verify safely', () => {
    assert.equal(checkPasswordHash('$scrypt$ln=15,r=8,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'), undefined);
    assert.match(checkPasswordHash('secret') ?? '', /not a PHC string/);
    assert.match(checkPasswordHash('$scrypt$ln=15,r=8$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA') ?? '', /needs ln, r and p/);
    assert.match(checkPasswordHash('$argon2id$v=16$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo') ?? '', /version 19/);
    assert.match(checkPasswordHash('$bcrypt$x=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA') ?? '', /unsupported/);
  });
});
