import type { BetStatus } from '../../../machines/bet.machine.ts';
import { outcomeShown, payoutShown } from './outcome-secrecy.ts';

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
  /** The bet's seed pair was revealed by a rotation: anyone can recompute its outcome now. */
  seed_revealed: boolean;
}

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
  /** Null while the outcome is secret (outcome-secrecy.ts). */
  outcome: { roll: number; win: boolean } | null;
  fairness: { serverSeedHash: string; clientSeed: string; nonce: number };
  rejectReason?: string;
  createdAt: string;
  settledAt: string | null;
  history: { state: string; at: string }[];
}

export function toBetView(bet: BetRecord): BetView {
  return {
    id: bet.id,
    status: bet.status,
    playerId: bet.player_id,
    amount: bet.amount,
    currency: bet.currency.trim(),
    payout: payoutShown(bet.status) ? bet.payout : 0,
    game: bet.game,
    params: bet.params,
    roundId: bet.round_id,
    outcome: outcomeShown(bet.status, bet.seed_revealed) ? bet.outcome : null,
    fairness: { serverSeedHash: bet.server_seed_hash, clientSeed: bet.client_seed, nonce: bet.nonce },
    ...(bet.reject_reason !== null && { rejectReason: bet.reject_reason }),
    createdAt: bet.created_at.toISOString(),
    settledAt: bet.settled_at?.toISOString() ?? null,
    history: bet.history,
  };
}
