import type { MigrationObject } from '@mikro-orm/core';
import { InitialSchema0001 } from './0001-initial-schema.ts';
import { DropUnusedEventsIndex0002 } from './0002-drop-unused-events-index.ts';
import { DropUnusedWalletTransactionsIndex0003 } from './0003-drop-unused-wallet-transactions-index.ts';
import { RoundsSeedPairWithoutForeignKey0004 } from './0004-rounds-seed-pair-without-foreign-key.ts';
import { EventRelayCursor0005 } from './0005-event-relay-cursor.ts';
import { AuditTimeOrderedIndexes0006 } from './0006-audit-time-ordered-indexes.ts';
import { SecretsSealedAtRest0007 } from './0007-secrets-sealed-at-rest.ts';
import { BetTransitions0008 } from './0008-bet-transitions.ts';
import { OperatorsVersion0010 } from './0010-operators-version.ts';
import { OperatorGames0011 } from './0011-operator-games.ts';
import { TimePartitionedTables0012 } from './0012-time-partitioned-tables.ts';
import { OperatorLedKeys0013 } from './0013-operator-led-keys.ts';
import { RelayPassFunction0014 } from './0014-relay-pass-function.ts';

/** Every migration in order. Listed explicitly so the runner needs no file globbing. */
export const migrationsList: MigrationObject[] = [
  { name: '0001-initial-schema', class: InitialSchema0001 },
  { name: '0002-drop-unused-events-index', class: DropUnusedEventsIndex0002 },
  { name: '0003-drop-unused-wallet-transactions-index', class: DropUnusedWalletTransactionsIndex0003 },
  { name: '0004-rounds-seed-pair-without-foreign-key', class: RoundsSeedPairWithoutForeignKey0004 },
  { name: '0005-event-relay-cursor', class: EventRelayCursor0005 },
  { name: '0006-audit-time-ordered-indexes', class: AuditTimeOrderedIndexes0006 },
  { name: '0007-secrets-sealed-at-rest', class: SecretsSealedAtRest0007 },
  { name: '0008-bet-transitions', class: BetTransitions0008 },
  { name: '0010-operators-version', class: OperatorsVersion0010 },
  { name: '0011-operator-games', class: OperatorGames0011 },
  { name: '0012-time-partitioned-tables', class: TimePartitionedTables0012 },
  { name: '0013-operator-led-keys', class: OperatorLedKeys0013 },
  { name: '0014-relay-pass-function', class: RelayPassFunction0014 },
];
