import { hkdfSync } from 'node:crypto';
import test from 'ava';
import { createSecretsKeyring, previousKeys, SecretUnsealError } from './secrets-keyring.ts';

const OLD_KEY = 'an-old-secrets-key-0123456789abcdef';
const NEW_KEY = 'a-new-secrets-key-0123456789abcdef';
const SEED = '2f1e9b3c4d5a6978a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';

test('a sealed value opens to the same text, and never contains it', (t) => {
  const keyring = createSecretsKeyring(NEW_KEY);
  const sealed = keyring.seal(SEED, 'seed_pairs.server_seed:pair-1');
  t.false(sealed.includes(SEED));
  t.false(sealed.includes(Buffer.from(SEED).toString('base64url')));
  t.true(keyring.isSealed(sealed));
  t.false(keyring.isSealed(SEED));
  t.is(keyring.open(sealed, 'seed_pairs.server_seed:pair-1'), SEED);
  t.is(keyring.open(keyring.seal('ünïcødé ✓', 'x'), 'x'), 'ünïcødé ✓');
});

test('sealing the same text twice gives two different values (a fresh IV each time)', (t) => {
  const keyring = createSecretsKeyring(NEW_KEY);
  t.not(keyring.seal(SEED, 'c'), keyring.seal(SEED, 'c'));
});

test('a value records the id of the key that sealed it: HKDF of the key, not the key', (t) => {
  const keyring = createSecretsKeyring(NEW_KEY);
  const expectedId = Buffer.from(hkdfSync('sha256', Buffer.from(NEW_KEY), 'rgs/secrets-at-rest', 'key id', 8)).toString('hex');
  t.is(keyring.currentKeyId, expectedId);
  const [format, keyId, iv, body] = keyring.seal(SEED, 'c').split(':');
  t.is(format, 'v1');
  t.is(keyId, expectedId);
  t.is(Buffer.from(iv!, 'base64url').length, 12);
  t.is(Buffer.from(body!, 'base64url').length, SEED.length + 16, 'the ciphertext and its 16-byte tag');
  t.not(createSecretsKeyring(OLD_KEY).currentKeyId, expectedId);
});

test('a wrong key does not open a value, and says which key it needs without the value', (t) => {
  const sealed = createSecretsKeyring(OLD_KEY).seal(SEED, 'c');
  const error = t.throws(() => createSecretsKeyring(NEW_KEY).open(sealed, 'c'), { instanceOf: SecretUnsealError });
  t.regex(error!.message, new RegExp(createSecretsKeyring(OLD_KEY).currentKeyId));
  t.false(error!.message.includes(SEED));
});

test('a previous key still opens what it sealed; new values are sealed under the current key only', (t) => {
  const sealedBefore = createSecretsKeyring(OLD_KEY).seal(SEED, 'c');
  const rotated = createSecretsKeyring(NEW_KEY, previousKeys(` ${OLD_KEY} ,, `));
  t.is(rotated.open(sealedBefore, 'c'), SEED);
  const sealedAfter = rotated.seal(SEED, 'c');
  t.true(sealedAfter.startsWith(`v1:${rotated.currentKeyId}:`));
  t.throws(() => createSecretsKeyring(OLD_KEY).open(sealedAfter, 'c'), { instanceOf: SecretUnsealError });
});

test('a value moved to another row or column, or altered, does not open', (t) => {
  const keyring = createSecretsKeyring(NEW_KEY);
  const sealed = keyring.seal(SEED, 'seed_pairs.server_seed:pair-1');
  t.throws(() => keyring.open(sealed, 'seed_pairs.server_seed:pair-2'), { instanceOf: SecretUnsealError });
  t.throws(() => keyring.open(sealed, 'operators.wallet_secret:pair-1'), { instanceOf: SecretUnsealError });
  const [format, keyId, iv, body] = sealed.split(':') as [string, string, string, string];
  const bytes = Buffer.from(body, 'base64url');
  bytes[0]! ^= 1;
  t.throws(() => keyring.open([format, keyId, iv, bytes.toString('base64url')].join(':'), 'seed_pairs.server_seed:pair-1'), { instanceOf: SecretUnsealError });
  t.throws(() => keyring.open(SEED, 'seed_pairs.server_seed:pair-1'), { instanceOf: SecretUnsealError }, 'clear text is not a sealed value');
});

test('SECRETS_KEYS_PREVIOUS is a comma-separated list; blanks are ignored', (t) => {
  t.deepEqual(previousKeys(''), []);
  t.deepEqual(previousKeys('a, b ,,c'), ['a', 'b', 'c']);
});
