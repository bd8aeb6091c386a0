// Gathers the facts `diagnoseMcpAccess` needs: the user, the app, every role and the tsh version.
// Missing user/app are facts (not errors); expired gateway credentials become the first check.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AppError, isAppError } from '@tmcp/errors';
import {
  parseApps,
  parseRoles,
  parseUsers,
  parseVersion,
  validateResourceName,
  validateUsername,
  type TeleportVersion,
} from '@tmcp/teleport';
import { CLOCK, systemClock, type Clock } from '../common/clock.js';
import { TeleportClusters } from '../teleport/teleport-clusters.js';
import { diagnoseMcpAccess, type McpAccessDiagnosis } from './mcp-access-diagnosis.js';
import {
  ObservedRunner,
  type CommandObserver,
  type TeleportRunnerSource,
} from './observed-runner.js';

export interface DiagnoseMcpAccessCall {
  user: string;
  server: string;
  tool?: string;
  /** The version the user's own `tsh version` prints, when known. */
  clientTshVersion?: string;
  /** Whether client tools managed updates are on for the user's tsh, when the caller knows. */
  managedUpdates?: boolean;
  cluster?: string;
  observe?: CommandObserver;
}

@Injectable()
export class McpAccessDiagnosisService {
  constructor(
    @Inject(TeleportClusters) private readonly clusters: TeleportRunnerSource,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  async diagnose(call: DiagnoseMcpAccessCall): Promise<McpAccessDiagnosis> {
    const user = validateUsername(call.user, 'user');
    const server = validateResourceName(call.server, 'server');
    const r = new ObservedRunner(this.clusters.runner(call.cluster), call.observe);
    const base = {
      user,
      server,
      now: this.clock.now(),
      ...(call.tool === undefined ? {} : { tool: call.tool }),
      ...(call.managedUpdates === undefined ? {} : { managedUpdates: call.managedUpdates }),
    };
    try {
      const [userOut, appOut, rolesOut] = await Promise.all([
        orNotFound(
          r.run('tctl', r.tctl.getOne('user', validateResourceName(user, 'user')), { read: true }),
        ),
        orNotFound(r.run('tctl', r.tctl.getOne('app', server), { read: true })),
        r.run('tctl', r.tctl.getAll('roles'), { read: true }),
      ]);
      const tsh = await this.tshVersion(r, call.clientTshVersion);
      return diagnoseMcpAccess({
        ...base,
        ...(userOut === undefined ? {} : { userRecord: parseUsers(userOut)[0] }),
        ...(appOut === undefined ? {} : { app: parseApps(appOut)[0] }),
        roles: parseRoles(rolesOut.stdout),
        ...tsh,
      });
    } catch (err) {
      if (isAppError(err) && err.code === 'credentials_expired') {
        return diagnoseMcpAccess({ ...base, roles: [], credentialsError: err.message });
      }
      throw err;
    }
  }

  private async tshVersion(
    r: ObservedRunner,
    clientVersion: string | undefined,
  ): Promise<{ tshVersion?: TeleportVersion; tshVersionSource?: 'client' | 'gateway' }> {
    if (clientVersion !== undefined) {
      return {
        tshVersion: { version: clientVersion.replace(/^v/, '') },
        tshVersionSource: 'client',
      };
    }
    try {
      const out = await r.run('tsh', r.tsh.version(), { read: true });
      return { tshVersion: parseVersion(out.stdout), tshVersionSource: 'gateway' };
    } catch (err) {
      // The version is one check among several; a missing tsh must not hide the others.
      if (isAppError(err) && err.code !== 'credentials_expired') return {};
      throw err;
    }
  }
}

async function orNotFound(pending: Promise<{ stdout: string }>): Promise<string | undefined> {
  try {
    return (await pending).stdout;
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') return undefined;
    throw err;
  }
}
