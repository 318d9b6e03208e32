import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

// `ALTER ROLE … PASSWORD 'clear text'` sends the password to the server, where
// log_statement = ddl (or a failing statement's log line) writes it to the server log.
// Given a SCRAM-SHA-256 verifier instead, Postgres stores it as it is: the password
// itself never leaves this process. RFC 5802 / RFC 7677, the format of pg_authid.rolpassword.

const ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier of `password`, or undefined when the password is not plain
 * printable ASCII: Postgres prepares other passwords with SASLprep, which this does not
 * reimplement (the caller then lets the server hash it).
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(password)) return undefined;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
