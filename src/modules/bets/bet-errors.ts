import { DomainError, forbidden } from '../../shared/errors.ts';

/** SPEC §3/§8 refusals of a bet: each has a stable code, is counted and audited. */
export const sessionRevoked = () => forbidden('SESSION_REVOKED', 'the session was revoked');
export const sessionExpired = () => forbidden('SESSION_EXPIRED', 'the session has expired');
export const jurisdictionBlocked = (jurisdiction: string) =>
  forbidden('JURISDICTION_BLOCKED', `jurisdiction ${jurisdiction} is blocked for this operator`);
export const maxBetExceeded = (maxBet: number) => forbidden('MAX_BET_EXCEEDED', `the maximum bet is ${maxBet}`);
export const dailyLossLimit = (limit: number) =>
  forbidden('DAILY_LOSS_LIMIT', `this bet would take the player's net loss today past ${limit}`);
export const dailyWinLimit = (limit: number) => forbidden('DAILY_WIN_LIMIT', `the player's net win today reached ${limit}`);
export const requestInProgress = () =>
  new DomainError(409, 'REQUEST_IN_PROGRESS', 'Request in progress', 'a request with this Idempotency-Key is still running');
/** Issue #20: the operator has not enabled this game (PATCH /admin/operators/:id `games.enabled`). */
export const gameDisabled = (game: string) => forbidden('GAME_DISABLED', `the game "${game}" is not enabled for this operator`);
