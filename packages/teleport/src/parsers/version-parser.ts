// `tsh version --format=json` (TELEPORT.md §2.11) and the text line both tools print
// (`Teleport v17.4.8 git:v17.4.8-0-g1a2b3c4 go1.23.8`).
import { z } from 'zod';
import { AppError } from '@tmcp/errors';
import { assertCompleteOutput } from '../output-truncation.js';
import { optionalString, parseJsonText, parseOne } from './tolerant-schemas.js';

export interface TeleportVersion {
  /** Without the leading `v`: `17.4.8`. */
  version: string;
  gitref?: string;
  runtime?: string;
  proxyVersion?: string;
  proxyPublicAddress?: string;
}

const versionSchema = z.looseObject({
  version: z.string().min(1),
  gitref: optionalString,
  runtime: optionalString,
  proxyVersion: optionalString,
  proxyPublicAddress: optionalString,
});

const TEXT = /^Teleport v?(\S+)(?: git:(\S+))?(?: (go\S+))?/m;

/** JSON (text or parsed) or the text form. */
export function parseVersion(input: unknown): TeleportVersion {
  if (typeof input === 'string') assertCompleteOutput(input, 'tsh version');
  if (typeof input === 'string' && !input.trim().startsWith('{')) {
    const m = TEXT.exec(input);
    if (!m?.[1])
      throw new AppError(
        'teleport_error',
        'tsh version printed no "Teleport v…" line; check that the Teleport version is supported',
      );
    const proxyVersion = /^Proxy version:\s*(\S+)/m.exec(input)?.[1];
    const proxyAddr = /^Proxy:\s*(\S+)/m.exec(input)?.[1];
    return {
      version: m[1],
      ...(m[2] === undefined ? {} : { gitref: m[2] }),
      ...(m[3] === undefined ? {} : { runtime: m[3] }),
      ...(proxyVersion === undefined ? {} : { proxyVersion }),
      ...(proxyAddr === undefined ? {} : { proxyPublicAddress: proxyAddr }),
    };
  }
  const json: unknown = typeof input === 'string' ? parseJsonText(input, 'tsh version') : input;
  const v = parseOne(json, versionSchema, 'version');
  return {
    version: v.version.replace(/^v/, ''),
    ...(v.gitref === undefined ? {} : { gitref: v.gitref }),
    ...(v.runtime === undefined ? {} : { runtime: v.runtime }),
    ...(v.proxyVersion === undefined ? {} : { proxyVersion: v.proxyVersion }),
    ...(v.proxyPublicAddress === undefined ? {} : { proxyPublicAddress: v.proxyPublicAddress }),
  };
}

/** `17.4.8` → [17, 4, 8]; pre-release suffixes are ignored. */
export function versionParts(version: string): [number, number, number] {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  return [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0), Number(m?.[3] ?? 0)];
}
