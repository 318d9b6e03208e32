import { parseArgs } from 'node:util';
import { z } from 'zod';
import { findGame, GAME_IDS } from '../src/games/registry.ts';
import { simulateRtp, type RtpReport } from '../src/games/rtp-simulation.ts';

// `npm run rtp -- --game <id> [--rounds N] [--config JSON]` (issue #20): the game's return
// to player and outcome distribution, proven by simulation; exit code 1 when it fails.

const options = z
  .object({
    game: z.enum(GAME_IDS, { error: `--game must be one of ${GAME_IDS.join(', ')}` }),
    rounds: z.coerce.number().int().min(2).max(Number.MAX_SAFE_INTEGER).default(1_000_000),
    config: z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: '--config must be JSON' });
          return z.NEVER;
        }
      })
      .default({}),
  })
  .strict();

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values } = parseArgs({ options: { game: { type: 'string' }, rounds: { type: 'string' }, config: { type: 'string' } }, strict: true });
const parsed = options.safeParse(values);
if (!parsed.success) fail(parsed.error.issues.map((issue) => issue.message).join('\n'));
const game = findGame(parsed.data.game)!;
const config = game.config.safeParse(parsed.data.config);
if (!config.success) fail(`--config: ${config.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);

const report: RtpReport = simulateRtp(game, parsed.data.rounds, config.data);
const percent = (value: number) => `${(value * 100).toFixed(4)} %`;
console.log(`game ${report.game} v${game.version}, config ${JSON.stringify(report.config)}, ${report.rounds} rounds of ${JSON.stringify(game.simulation.params)} at ${game.simulation.amount}`);
console.log(`rate         ${Math.round(report.roundsPerSecond).toLocaleString('en')} rounds/s`);
console.log(`measured RTP ${percent(report.measured)}`);
console.log(`theoretical  ${percent(report.theoretical)}`);
console.log(`99 % CI      ${percent(report.ci99[0])} .. ${percent(report.ci99[1])}`);
console.log(`chi-square   ${report.chiSquare.toFixed(2)} on ${report.degreesOfFreedom} df (${report.bins}), p = ${report.chiSquareP.toFixed(4)}`);
console.log(
  `RTP game=${report.game} rounds=${report.rounds} measured=${report.measured.toFixed(6)} theoretical=${report.theoretical.toFixed(6)} ` +
    `ci99=${report.ci99[0].toFixed(6)}..${report.ci99[1].toFixed(6)} chi2_p=${report.chiSquareP.toFixed(4)} result=${report.ok ? 'ok' : 'fail'}`,
);
process.exit(report.ok ? 0 : 1);
