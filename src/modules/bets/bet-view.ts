import { parseStoredSnapshot } from './stored-snapshot.ts';
import type { BetStatus } from '../../../machines/bet.machine.ts';
import { betStatus, restoreBetSnapshot, type PersistedBetSnapshot } from '../../../machines/bet.runtime-api.ts';
import type { Bet } from './entity.ts';
import { outcomeShown, payoutShown } from './outcome-secrecy.ts';
import type { GameOutcome } from '../../games/game.ts';

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
  params: unknown;
  status: BetStatus;
  /** Checked: read back from the database through parseStoredSnapshot, or made by the machine in this process. */
  snapshot: PersistedBetSnapshot;
  version: number;
  history: { state: string; at: string }[];
  reject_reason: string | null;
  created_at: Date;
  settled_at: Date | null;
  outcome: GameOutcome;
  server_seed_hash: string;
  client_seed: string;
  nonce: number;
  /** The bet's seed pair was revealed by a rotation: anyone can recompute its outcome now. */
  seed_revealed: boolean;
}

/**
 * The record of a bet loaded as an entity (with its `transitions` and `round`): its state
 * is the machine restored from the stored snapshot, the history its transitions in order.
 */
export function betRecordOf(bet: Bet, seedRevealed: boolean): BetRecord {
  const snapshot = parseStoredSnapshot(bet.snapshot);
  const machine = restoreBetSnapshot(snapshot);
  const round = bet.round;
  return {
    id: bet.id,
    operator_id: bet.operatorId,
    player_id: bet.playerId,
    round_id: round.id,
    currency: bet.currency,
    amount: bet.amount,
    payout: bet.payout,
    game: bet.game,
    params: bet.params,
    status: betStatus(machine),
    snapshot,
    version: bet.version,
    history: bet.transitions.getItems().map((transition) => ({ state: transition.state, at: transition.at.toISOString() })),
    reject_reason: bet.rejectReason,
    created_at: bet.createdAt,
    settled_at: bet.settledAt,
    outcome: round.outcome as BetRecord['outcome'],
    server_seed_hash: round.serverSeedHash,
    client_seed: round.clientSeed,
    nonce: Number(round.nonce),
    seed_revealed: seedRevealed,
  };
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
  params: unknown;
  roundId: string;
  /** Null while the outcome is secret (outcome-secrecy.ts). */
  outcome: GameOutcome | null;
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
