import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// SPEC §11: wallet and webhook secrets and unrevealed server seeds are stored sealed with
// AES-256-GCM. A sealed value is one text:
//
//   v1:<key id>:<iv>:<ciphertext and tag>
//
// with the 12-byte IV and the ciphertext followed by its 16-byte tag in base64url. The
// 32-byte key is HKDF-SHA256 of SECRETS_KEY's UTF-8 bytes (salt "rgs/secrets-at-rest",
// info "aes-256-gcm"); the key id is 8 more HKDF bytes (info "key id") in hex, so it names
// the key without saying anything about it. A value records the key that sealed it, so
// SECRETS_KEY can change: the old key, listed in SECRETS_KEYS_PREVIOUS, still opens what
// it sealed until `npm run secrets:reencrypt` seals everything again under the new one.
//
// Each value is sealed for a context (which column of which row it belongs to), bound in
// as GCM's additional data: copied into another row or column, it no longer opens, so a
// database writer without the key cannot, say, move one player's sealed seed into a pair
// that the next rotation reveals.

const FORMAT = 'v1';
const SALT = 'rgs/secrets-at-rest';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1:([0-9a-f]{16}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;

interface Key {
  id: string;
  key: Buffer;
}

function deriveKey(secret: string): Key {
  const material = Buffer.from(secret, 'utf8');
  return {
    key: Buffer.from(hkdfSync('sha256', material, SALT, 'aes-256-gcm', 32)),
    id: Buffer.from(hkdfSync('sha256', material, SALT, 'key id', 8)).toString('hex'),
  };
}

/** A sealed value that cannot be opened: its key is not configured, or it was altered or moved. Never carries the value. */
export class SecretUnsealError extends Error {
  override name = 'SecretUnsealError';
}

export interface SecretsKeyring {
  /** The id of SECRETS_KEY, which seals every new value. */
  readonly currentKeyId: string;
  seal(plaintext: string, context: string): string;
  /** Throws SecretUnsealError when `sealed` is not a sealed value or this keyring cannot open it for `context`. */
  open(sealed: string, context: string): string;
  isSealed(value: string): boolean;
}

/** Parses SECRETS_KEYS_PREVIOUS: comma-separated keys, blanks ignored. */
export function previousKeys(list: string): string[] {
  return list
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
}

export function createSecretsKeyring(current: string, previous: string[] = []): SecretsKeyring {
  const sealing = deriveKey(current);
  const keys = new Map<string, Buffer>([sealing, ...previous.map(deriveKey)].map((entry) => [entry.id, entry.key]));

  function seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', sealing.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${FORMAT}:${sealing.id}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  function open(sealed: string, context: string): string {
    const match = SEALED.exec(sealed);
    if (!match) throw new SecretUnsealError(`${context}: not a sealed value`);
    const [, keyId, iv, encoded] = match as unknown as [string, string, string, string];
    const key = keys.get(keyId);
    if (!key) throw new SecretUnsealError(`${context}: sealed with key ${keyId}, which is neither SECRETS_KEY nor in SECRETS_KEYS_PREVIOUS`);
    const body = Buffer.from(encoded, 'base64url');
    if (body.length < TAG_BYTES) throw new SecretUnsealError(`${context}: not a sealed value`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnsealError(`${context}: the sealed value does not open with key ${keyId} (altered, or sealed for another row)`);
    }
  }

  return { currentKeyId: sealing.id, seal, open, isSealed: (value) => SEALED.test(value) };
}
