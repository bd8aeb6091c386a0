// How one Teleport cluster is reached non-interactively (DESIGN.md §3.4): the proxy address, an
// optional identity file (from `tctl auth sign` / tbot), an optional auth server for tctl, and an
// isolated TELEPORT_HOME. Validated once here because its values end up in every argv.
import path from 'node:path';
import { AppError } from '@tmcp/errors';

export interface ClusterConnection {
  /** Proxy address `host[:port]` (an `https://` prefix is accepted and stripped, like tsh does). */
  proxy: string;
  /** Absolute path of an identity file; keys stay in memory, nothing is written to home. */
  identityFile?: string;
  /** Auth server (or proxy web address) for tctl; defaults to the proxy with an identity file. */
  authServer?: string;
  /** Absolute path of this cluster's private TELEPORT_HOME. */
  home: string;
}

const ADDRESS = /^[A-Za-z0-9[][A-Za-z0-9.:[\]-]*$/;

function checkAddress(value: string, field: string): string {
  const stripped = value.replace(/^https:\/\//i, '').replace(/\/$/, '');
  if (stripped.length === 0 || stripped.length > 300 || !ADDRESS.test(stripped)) {
    throw AppError.badParameter(field, 'must be a host[:port] address');
  }
  return stripped;
}

function checkPath(value: string, field: string): string {
  // eslint-disable-next-line no-control-regex
  if (!path.isAbsolute(value) || /[\x00-\x1f\x7f]/.test(value)) {
    throw AppError.badParameter(field, 'must be an absolute path');
  }
  return value;
}

/** The connection with addresses normalised; throws bad_parameter naming the field. */
export function validateClusterConnection(
  c: ClusterConnection,
  field = 'cluster',
): ClusterConnection {
  return {
    proxy: checkAddress(c.proxy, `${field}.proxy`),
    home: checkPath(c.home, `${field}.home`),
    ...(c.identityFile === undefined
      ? {}
      : { identityFile: checkPath(c.identityFile, `${field}.identityFile`) }),
    ...(c.authServer === undefined
      ? {}
      : { authServer: checkAddress(c.authServer, `${field}.authServer`) }),
  };
}
