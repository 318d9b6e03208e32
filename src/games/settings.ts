import { z } from 'zod';
import { GAME_IDS, GAMES } from './registry.ts';

/**
 * An operator's game settings (issue #20), as `PATCH /admin/operators/:id` takes them:
 * `enabled` replaces the list of games it offers; `config` replaces the config of each game
 * it names (checked, defaults filled in, by that game's own schema), the others keep theirs.
 */
export const gameSettingsPatch = z
  .object({
    enabled: z
      .array(z.enum(GAME_IDS, { error: `must be one of ${GAME_IDS.map((id) => `"${id}"`).join(', ')}` }))
      .refine((ids) => new Set(ids).size === ids.length, { error: 'each game at most once' })
      .optional(),
    config: z
      .object(Object.fromEntries(GAMES.map((game) => [game.id, game.config.optional()])))
      .strict()
      .optional(),
  })
  .strict();

export type GameSettingsPatch = z.infer<typeof gameSettingsPatch>;

/** The settings as the operator row keeps them: enabled null is every game of the registry. */
export interface StoredGameSettings {
  enabled: readonly string[] | null;
  config: Readonly<Record<string, unknown>>;
}

/**
 * The games the operator offers, each with its config in force (its own settings over the
 * game's defaults), in registry order. A stored id the registry no longer has is skipped.
 */
export function gamesInForce(settings: StoredGameSettings): ReadonlyMap<string, unknown> {
  const enabled = settings.enabled === null ? null : new Set(settings.enabled);
  return new Map(
    GAMES.filter((game) => enabled === null || enabled.has(game.id)).map((game) => [game.id, game.config.parse(settings.config[game.id] ?? {})]),
  );
}

/** The admin view of the settings: the games enabled, and every game's config in force. */
export function gameSettingsView(settings: StoredGameSettings): { enabled: string[]; config: Record<string, unknown> } {
  return {
    enabled: [...gamesInForce(settings).keys()],
    config: Object.fromEntries(GAMES.map((game) => [game.id, game.config.parse(settings.config[game.id] ?? {})])),
  };
}

/** What a PATCH leaves stored: `enabled` as given (or as it was), each named game's config replaced. */
export function applyGameSettings(current: StoredGameSettings, patch: GameSettingsPatch): { enabled: string[] | null; config: Record<string, unknown> } {
  return {
    enabled: patch.enabled ?? (current.enabled === null ? null : [...current.enabled]),
    config: { ...current.config, ...Object.fromEntries(Object.entries(patch.config ?? {}).filter(([, config]) => config !== undefined)) },
  };
}
