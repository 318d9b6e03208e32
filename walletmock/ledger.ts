import type { CreditBody, DebitBody, PlayerBody, RollbackBody } from './schemas.ts';

// The wallet's books (SPEC §6): one set of books per operator — balances per player and
// currency, one record per transactionId, tombstones — so player `p1` of operator A and
// `p1` of operator B are two players, and nothing one operator's requests name can touch
// the other's. Pure in-memory logic, no I/O, so every rule is one synchronous step and two
// requests can never interleave inside it.

type Kind = 'debit' | 'credit' | 'rollback';
type LedgerStatus = 'applied' | 'rolled_back' | 'refused' | 'tombstone';

interface WalletReply {
  status: 200 | 402 | 403 | 409;
  body: Readonly<Record<string, unknown>>;
}

/**
 * How a request ended: a new transaction applied or refused (both recorded), or a
 * transactionId already known (answered with the first result, or 409 on a conflict).
 */
export type LedgerOutcome = 'applied' | 'refused' | 'duplicate';

export interface LedgerResult {
  outcome: LedgerOutcome;
  reply: WalletReply;
}

/** One transaction as the wallet recorded it; GET /__ledger answers these. */
export interface LedgerItem {
  transactionId: string;
  kind: Kind;
  operatorId: string;
  playerId: string;
  currency: string;
  amount: number;
  betId: string;
  roundId: string | null;
  debitTransactionId: string | null;
  status: LedgerStatus;
  code: string | null;
  at: string;
}

interface PlayerView {
  operatorId: string;
  playerId: string;
  blocked: boolean;
  currency: string | null;
  balances: Record<string, number>;
  debitLimit: number | null;
  staked: number;
}

interface TransactionRecord {
  transactionId: string;
  kind: Kind;
  operatorId: string;
  playerId: string;
  currency: string;
  amount: number;
  betId: string;
  roundId: string | null;
  debitTransactionId: string | null;
  status: LedgerStatus;
  code: string | null;
  at: number;
  // The first answer, replayed verbatim to an idempotent repeat.
  reply: WalletReply;
}

interface Player {
  blocked: boolean;
  // A player is bound to the first currency it transacts in; others get CURRENCY_MISMATCH.
  currency: string | null;
  balances: Map<string, number>;
  debitLimit: number | null;
  // Debits applied and not rolled back, the measure the optional limit applies to.
  staked: number;
}

type Request =
  | ({ kind: 'debit' } & DebitBody)
  | ({ kind: 'credit' } & CreditBody)
  | ({ kind: 'rollback' } & RollbackBody);

/** Every money operation is booked to the operator whose signature it carries. */
export interface Ledger {
  debit(operatorId: string, body: DebitBody): LedgerResult;
  credit(operatorId: string, body: CreditBody): LedgerResult;
  rollback(operatorId: string, body: RollbackBody): LedgerResult;
  balanceOf(operatorId: string, playerId: string, currency: string): number;
  currencyOf(operatorId: string, playerId: string): string | null;
  updatePlayer(operatorId: string, playerId: string, patch: PlayerBody): PlayerView;
  items(filter: { operatorId?: string | undefined; playerId?: string | undefined }): LedgerItem[];
  reset(): void;
}

/** One operator's wallet. */
interface Books {
  transactions: Map<string, TransactionRecord>;
  players: Map<string, Player>;
  // Rollbacks of debits the wallet never saw: debitTransactionId → rollback transactionId.
  tombstones: Map<string, string>;
  // Debits whose round was credited, which therefore can no longer be rolled back.
  creditedDebits: Set<string>;
}

export function createLedger(options: { startBalance: number; refusedCredits?: ReadonlySet<string>; now?: () => number }): Ledger {
  const { startBalance } = options;
  const refusedCredits = options.refusedCredits ?? new Set<string>();
  const now = options.now ?? Date.now;
  let booksByOperator = new Map<string, Books>();
  // Every operator's records in arrival order, for GET /__ledger (a record's status may
  // change later: the same objects as in the books).
  let arrivals: TransactionRecord[] = [];

  function booksOf(operatorId: string): Books {
    let books = booksByOperator.get(operatorId);
    if (books === undefined) {
      books = { transactions: new Map(), players: new Map(), tombstones: new Map(), creditedDebits: new Set() };
      booksByOperator.set(operatorId, books);
    }
    return books;
  }

  function playerOf(books: Books, playerId: string): Player {
    let player = books.players.get(playerId);
    if (player === undefined) {
      player = { blocked: false, currency: null, balances: new Map(), debitLimit: null, staked: 0 };
      books.players.set(playerId, player);
    }
    return player;
  }

  function balanceOf(operatorId: string, playerId: string, currency: string): number {
    return booksByOperator.get(operatorId)?.players.get(playerId)?.balances.get(currency) ?? startBalance;
  }

  /** Same transactionId and same parameters: the repeat of an earlier request. */
  function sameRequest(record: TransactionRecord, request: Request): boolean {
    if (
      record.kind !== request.kind ||
      record.playerId !== request.playerId ||
      record.currency !== request.currency ||
      record.amount !== request.amount ||
      record.betId !== request.betId
    ) {
      return false;
    }
    const roundId = request.kind === 'rollback' ? null : request.roundId;
    const debitTransactionId = request.kind === 'debit' ? null : request.debitTransactionId;
    return record.roundId === roundId && record.debitTransactionId === debitTransactionId;
  }

  function repeatOf(books: Books, request: Request): LedgerResult | null {
    const record = books.transactions.get(request.transactionId);
    if (record === undefined) return null;
    if (sameRequest(record, request)) return { outcome: 'duplicate', reply: record.reply };
    return { outcome: 'duplicate', reply: { status: 409, body: { code: 'DUPLICATE_TRANSACTION' } } };
  }

  function record(operatorId: string, request: Request, status: LedgerStatus, reply: WalletReply): LedgerResult {
    const code = reply.status === 200 ? null : String(reply.body.code);
    const entry: TransactionRecord = {
      transactionId: request.transactionId,
      kind: request.kind,
      operatorId,
      playerId: request.playerId,
      currency: request.currency,
      amount: request.amount,
      betId: request.betId,
      roundId: request.kind === 'rollback' ? null : request.roundId,
      debitTransactionId: request.kind === 'debit' ? null : request.debitTransactionId,
      status,
      code,
      at: now(),
      reply,
    };
    booksOf(operatorId).transactions.set(request.transactionId, entry);
    arrivals.push(entry);
    return { outcome: status === 'refused' ? 'refused' : 'applied', reply };
  }

  function refuse(operatorId: string, request: Request, status: 402 | 403 | 409, code: string, extra?: { balance: number }): LedgerResult {
    return record(operatorId, request, 'refused', { status, body: { code, ...extra } });
  }

  function accept(operatorId: string, request: Request, status: 'applied' | 'tombstone'): LedgerResult {
    const balance = balanceOf(operatorId, request.playerId, request.currency);
    return record(operatorId, request, status, { status: 200, body: { transactionId: request.transactionId, balance } });
  }

  function move(player: Player, currency: string, delta: number): void {
    player.currency ??= currency;
    player.balances.set(currency, (player.balances.get(currency) ?? startBalance) + delta);
  }

  /** The debit a credit or rollback refers to, if it is not the same bet: a caller bug. */
  function mismatchedDebit(debit: TransactionRecord, request: Request): boolean {
    return (
      debit.kind !== 'debit' ||
      debit.playerId !== request.playerId ||
      debit.currency !== request.currency ||
      debit.betId !== request.betId ||
      (request.kind === 'credit' && debit.roundId !== request.roundId) ||
      (request.kind === 'rollback' && debit.amount !== request.amount)
    );
  }

  return {
    debit(operatorId, body) {
      const books = booksOf(operatorId);
      const request: Request = { kind: 'debit', ...body };
      const repeat = repeatOf(books, request);
      if (repeat !== null) return repeat;
      // A rollback overtook this debit; applying it now would take money for a bet
      // the RGS has already given up on.
      if (books.tombstones.has(body.transactionId)) return refuse(operatorId, request, 409, 'TRANSACTION_ROLLED_BACK');
      const player = playerOf(books, body.playerId);
      if (player.blocked) return refuse(operatorId, request, 403, 'PLAYER_BLOCKED');
      if (player.currency !== null && player.currency !== body.currency) {
        return refuse(operatorId, request, 409, 'CURRENCY_MISMATCH');
      }
      if (player.debitLimit !== null && player.staked + body.amount > player.debitLimit) {
        return refuse(operatorId, request, 403, 'LIMIT_REACHED');
      }
      const balance = balanceOf(operatorId, body.playerId, body.currency);
      if (balance < body.amount) return refuse(operatorId, request, 402, 'INSUFFICIENT_FUNDS', { balance });
      move(player, body.currency, -body.amount);
      player.staked += body.amount;
      return accept(operatorId, request, 'applied');
    },

    credit(operatorId, body) {
      const books = booksOf(operatorId);
      const request: Request = { kind: 'credit', ...body };
      const repeat = repeatOf(books, request);
      if (repeat !== null) return repeat;
      // Configured (WALLET_REFUSED_CREDITS): a credit this wallet will never pay, as a wallet
      // refuses a win for a closed account; the RGS parks it for a person (credit_parked).
      if (refusedCredits.has(body.transactionId)) return refuse(operatorId, request, 403, 'CREDIT_REFUSED');
      const debit = books.transactions.get(body.debitTransactionId);
      if (books.tombstones.has(body.debitTransactionId) || debit?.status === 'rolled_back') {
        return refuse(operatorId, request, 409, 'DEBIT_ROLLED_BACK');
      }
      // A credit for an unseen debit is paid: the mock cannot tell a lost debit from
      // one still in flight, and money owed is always paid (SPEC §6).
      if (debit !== undefined) {
        if (mismatchedDebit(debit, request)) return refuse(operatorId, request, 409, 'DEBIT_MISMATCH');
        if (debit.status === 'refused') return refuse(operatorId, request, 409, 'DEBIT_REFUSED');
      }
      const player = playerOf(books, body.playerId);
      if (player.currency !== null && player.currency !== body.currency) {
        return refuse(operatorId, request, 409, 'CURRENCY_MISMATCH');
      }
      move(player, body.currency, body.amount);
      books.creditedDebits.add(body.debitTransactionId);
      return accept(operatorId, request, 'applied');
    },

    rollback(operatorId, body) {
      const books = booksOf(operatorId);
      const request: Request = { kind: 'rollback', ...body };
      const repeat = repeatOf(books, request);
      if (repeat !== null) return repeat;
      if (books.creditedDebits.has(body.debitTransactionId)) return refuse(operatorId, request, 409, 'ALREADY_SETTLED');
      const debit = books.transactions.get(body.debitTransactionId);
      if (debit === undefined) {
        books.tombstones.set(body.debitTransactionId, body.transactionId);
        return accept(operatorId, request, 'tombstone');
      }
      if (mismatchedDebit(debit, request)) return refuse(operatorId, request, 409, 'DEBIT_MISMATCH');
      // A refused or already rolled-back debit moved no money that is still held:
      // acknowledge, so the RGS can finish the bet.
      if (debit.status === 'applied') {
        const player = playerOf(books, body.playerId);
        move(player, body.currency, body.amount);
        player.staked -= body.amount;
        debit.status = 'rolled_back';
      }
      return accept(operatorId, request, 'applied');
    },

    balanceOf,

    currencyOf: (operatorId, playerId) => booksByOperator.get(operatorId)?.players.get(playerId)?.currency ?? null,

    updatePlayer(operatorId, playerId, patch) {
      const player = playerOf(booksOf(operatorId), playerId);
      if (patch.blocked !== undefined) player.blocked = patch.blocked;
      if (patch.debitLimit !== undefined) player.debitLimit = patch.debitLimit;
      for (const [currency, balance] of Object.entries(patch.balance ?? {})) player.balances.set(currency, balance);
      return {
        operatorId,
        playerId,
        blocked: player.blocked,
        currency: player.currency,
        balances: Object.fromEntries(player.balances),
        debitLimit: player.debitLimit,
        staked: player.staked,
      };
    },

    items(filter) {
      const items: LedgerItem[] = [];
      for (const record of arrivals) {
        if (filter.operatorId !== undefined && record.operatorId !== filter.operatorId) continue;
        if (filter.playerId !== undefined && record.playerId !== filter.playerId) continue;
        items.push({
          transactionId: record.transactionId,
          kind: record.kind,
          operatorId: record.operatorId,
          playerId: record.playerId,
          currency: record.currency,
          amount: record.amount,
          betId: record.betId,
          roundId: record.roundId,
          debitTransactionId: record.debitTransactionId,
          status: record.status,
          code: record.code,
          at: new Date(record.at).toISOString(),
        });
      }
      return items;
    },

    reset() {
      booksByOperator = new Map();
      arrivals = [];
    },
  };
}
