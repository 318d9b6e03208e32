import type { MigrationObject } from '@mikro-orm/core';
import { InitialSchema0001 } from './0001-initial-schema.ts';

/** Every migration in order. Listed explicitly so the runner needs no file globbing. */
export const migrationsList: MigrationObject[] = [{ name: '0001-initial-schema', class: InitialSchema0001 }];
