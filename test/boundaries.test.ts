import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ESLint } from 'eslint';

// STYLE.md "Layout": the layers' import boundaries are an eslint rule (eslint.config.js),
// so `npm run lint` fails on a forbidden import. Each case lints one import as if it
// were written in a file of that folder (the file need not exist).

const eslint = new ESLint({ cwd: fileURLToPath(new URL('..', import.meta.url)) });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

const forbidden: [where: string, filePath: string, code: string][] = [
  ['machines/ importing a database client', 'machines/bet.boundary.ts', "import { Pool } from 'pg';"],
  ['machines/ importing a node builtin', 'machines/bet.boundary.ts', "import { readFile } from 'node:fs/promises';"],
  ['machines/ importing src/', 'machines/bet.boundary.ts', "import { notFound } from '../src/shared/errors.ts';"],
  ['machines/ importing a queue', 'machines/bet.boundary.ts', "import type { JobName } from '../queues/catalog.ts';"],
  ['machines/ importing zod', 'machines/bet.boundary.ts', "import { z } from 'zod';"],
  ['walletmock/ importing src/', 'walletmock/boundary.ts', "import { env } from '../src/config/env.ts';"],
  ['walletmock/ importing src/ from a subfolder', 'walletmock/sub/boundary.ts', "import { logger } from '../../src/shared/logger.ts';"],
  ['a module importing src/http', 'src/modules/bets/boundary.ts', "import { operatorAuth } from '../../http/auth.ts';"],
  ['a module importing src/http for a type', 'src/modules/bets/boundary.ts', "import type { ProblemInput } from '../../http/problem.ts';"],
  ['a module re-exporting from src/http', 'src/modules/bets/boundary.ts', "export { sendProblem } from '../../http/problem.ts';"],
  ["a module importing another module's store", 'src/modules/bets/boundary.ts', "import { insertRound } from '../rounds/store.ts';"],
  ["a module importing another module's repository", 'src/modules/bets/boundary.ts', "import { findOperator } from '../operators/repository.ts';"],
  ["a module's subfolder importing another module's store", 'src/modules/bets/hot/boundary.ts', "import { insertRound } from '../../rounds/store.ts';"],
  ['a game importing the database', 'src/games/dice/boundary.ts', "import { openDb } from '../../shared/db.ts';"],
  ["a game importing a module's service", 'src/games/dice/boundary.ts', "import { appendAudit } from '../../modules/audit/service.ts';"],
  ['a game importing another game', 'src/games/dice/boundary.ts', "import { luckyDiceGame } from '../lucky-dice/game.ts';"],
];

for (const [where, filePath, code] of forbidden) {
  test(`lint refuses ${where}`, async (t) => {
    t.is((await boundaryErrors(filePath, code)).length, 1, code);
  });
}

const allowed: [where: string, filePath: string, code: string][] = [
  ['machines/ importing xstate and its own files', 'machines/bet.boundary.ts', "import { setup } from 'xstate';\nimport { BET_STATES } from './bet.machine.ts';"],
  ['walletmock/ importing its own files and packages', 'walletmock/boundary.ts', "import { z } from 'zod';\nimport { createLedger } from './ledger.ts';"],
  [
    'a module importing src/shared, the machine, its own store and another module’s service',
    'src/modules/bets/boundary.ts',
    [
      "import { notFound } from '../../shared/errors.ts';",
      "import { toPage } from '../../shared/pagination.ts';",
      "import { stepOf } from '../../../machines/bet.machine.ts';",
      "import { insertBet } from './store.ts';",
      "import type { RoundsService } from '../rounds/service.ts';",
      "import { operatorOf } from '../operators/request-operator.ts';",
    ].join('\n'),
  ],
  ['src/http importing a module', 'src/http/boundary.ts', "import type { OperatorsService } from '../modules/operators/service.ts';"],
  [
    'a game importing zod, its own files, the Game interface and the fair bytes',
    'src/games/dice/boundary.ts',
    [
      "import { z } from 'zod';",
      "import { diceRollFromUint32 } from './dice.ts';",
      "import type { Game } from '../game.ts';",
      "import { fairUint32 } from '../../modules/fairness/fair-bytes.ts';",
      "import { PayoutTooLargeError } from '../../modules/fairness/errors.ts';",
    ].join('\n'),
  ],
];

for (const [where, filePath, code] of allowed) {
  test(`lint allows ${where}`, async (t) => {
    t.deepEqual(await boundaryErrors(filePath, code), []);
  });
}
