import { EntitySchema } from '@mikro-orm/core';

/** A player, known by the operator's own id (unique per operator). */
export interface Player {
  operatorId: string;
  playerId: string;
  createdAt: Date;
}

export const PlayerEntity = new EntitySchema<Player>({
  name: 'Player',
  tableName: 'players',
  properties: {
    operatorId: { type: 'uuid', primary: true },
    playerId: { type: 'text', primary: true },
    createdAt: { type: 'Date' },
  },
});
