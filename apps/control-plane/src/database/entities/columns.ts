// Column helpers shared by the entities, so every table spells timestamps and JSON the same way.
import type { ValueTransformer } from 'typeorm';

/** Postgres `bigint` arrives as a string; our sequences stay far below 2^53. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

export const TIMESTAMPTZ = 'timestamp with time zone' as const;
