import { EntitySchema, OptionalProps, PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { OperatorEntity, type Operator } from '../operators/entity.ts';

/** A player, known by the operator's own id (unique per operator). */
export interface Player {
  [PrimaryKeyProp]?: ['operator', 'playerId'];
  [OptionalProps]?: 'createdAt';
  operator: Ref<Operator>;
  playerId: string;
  createdAt: Date;
}

export const PlayerEntity = new EntitySchema<Player>({
  name: 'Player',
  tableName: 'players',
  properties: {
    operator: { kind: 'm:1', entity: () => OperatorEntity, ref: true, primary: true, fieldName: 'operator_id' },
    playerId: { type: 'text', primary: true },
    createdAt: { type: 'Date', defaultRaw: 'now()' },
  },
});
