import type { BetStatus } from '../../../machines/bet.machine.ts';

/** A bet row joined with its round: everything the API shows of a bet. */
export interface BetRecord {
  id: string;
  operator_id: string;
  player_id: string;
  round_id: string;
  currency: string;
  amount: number;
  payout: number;
  game: string;
  params: { target: number; direction: 'over' | 'under' };
  status: BetStatus;
  snapshot: unknown;
  version: number;
  history: { state: string; at: string }[];
  reject_reason: string | null;
  created_at: Date;
  settled_at: Date | null;
  outcome: { roll: number; win: boolean };
  server_seed_hash: string;
  client_seed: string;
  nonce: number;
}

/** Selects BetRecord columns; append `WHERE …` (alias b = bets, r = rounds). */
export const SELECT_BET_RECORD = `
  SELECT b.id, b.operator_id, b.player_id, b.round_id, b.currency, b.amount, b.payout, b.game, b.params,
         b.status, b.snapshot, b.version, b.history, b.reject_reason, b.created_at, b.settled_at,
         r.outcome, r.server_seed_hash, r.client_seed, r.nonce
    FROM bets b JOIN rounds r ON r.id = b.round_id`;

/** SPEC §3 bet shape. */
export interface BetView {
  id: string;
  status: BetStatus;
  playerId: string;
  amount: number;
  currency: string;
  payout: number;
  game: string;
  params: { target: number; direction: 'over' | 'under' };
  roundId: string;
  outcome: { roll: number; win: boolean };
  fairness: { serverSeedHash: string; clientSeed: string; nonce: number };
  rejectReason?: string;
  createdAt: string;
  settledAt: string | null;
  history: { state: string; at: string }[];
}

// The payout shows once the player's money is decided as a win (SPEC §3: 0 unless won);
// a credit still being retried is owed, so it shows too.
const PAYOUT_SHOWN: ReadonlySet<BetStatus> = new Set(['won', 'crediting', 'credit_pending']);

export function toBetView(bet: BetRecord): BetView {
  return {
    id: bet.id,
    status: bet.status,
    playerId: bet.player_id,
    amount: bet.amount,
    currency: bet.currency.trim(),
    payout: PAYOUT_SHOWN.has(bet.status) ? bet.payout : 0,
    game: bet.game,
    params: bet.params,
    roundId: bet.round_id,
    outcome: bet.outcome,
    fairness: { serverSeedHash: bet.server_seed_hash, clientSeed: bet.client_seed, nonce: bet.nonce },
    ...(bet.reject_reason !== null && { rejectReason: bet.reject_reason }),
    createdAt: bet.created_at.toISOString(),
    settledAt: bet.settled_at?.toISOString() ?? null,
    history: bet.history,
  };
}
