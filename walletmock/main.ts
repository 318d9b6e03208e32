import { pino } from 'pino';
import { parseWalletMockEnv, type WalletMockConfig } from './config.ts';
import { createWalletMock } from './server.ts';

// The wallet mock's process: env → server → listen → signals (SPEC §6).

function loadConfig(): WalletMockConfig {
  try {
    return parseWalletMockEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

const config = loadConfig();
// SPEC §11: the secrets are never part of a log line; nothing below logs the config.
const logger = pino({ level: config.logLevel, base: { service: 'walletmock', pid: process.pid } });
const mock = createWalletMock({ secrets: config.secrets, startBalance: config.startBalance, refusedCredits: config.refusedCredits, logger });

let port: number;
try {
  port = await mock.listen(config.port);
} catch (error) {
  logger.fatal({ err: error, port: config.port }, 'walletmock cannot listen');
  process.exit(1);
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'walletmock stopping');
  await mock.close();
  process.exit(0);
}
process.on('SIGTERM', (signal) => void stop(signal));
process.on('SIGINT', (signal) => void stop(signal));

// The test launcher reads the actual port from this one line, so it is printed even
// when LOG_LEVEL would hide info lines; printed last, so that whoever reads it can signal us.
logger.child({}, { level: 'info' }).info({ port }, 'walletmock listening');
