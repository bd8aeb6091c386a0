// Every migration, as classes, in order (ESM: TypeORM is given classes, never globs).
import { Init1763750000000 } from './1763750000000-Init.js';

export const MIGRATIONS = [Init1763750000000];
