// Reads roles, users and the auth preference with tctl and runs the pure RBAC scan.
import { Inject, Injectable } from '@nestjs/common';
import { parseAuthPreference, parseRoles, parseUsers } from '@tmcp/teleport';
import { TeleportClusters } from '../teleport/teleport-clusters.js';
import {
  ObservedRunner,
  type CommandObserver,
  type TeleportRunnerSource,
} from './observed-runner.js';
import { scanRbac, type RbacFinding, type RbacScanOptions } from './rbac-scan.js';

export interface RbacScanReport {
  roles: number;
  users: number;
  findings: RbacFinding[];
}

@Injectable()
export class RbacScanService {
  constructor(@Inject(TeleportClusters) private readonly clusters: TeleportRunnerSource) {}

  async scan(
    call: { cluster?: string; observe?: CommandObserver; options?: RbacScanOptions } = {},
  ): Promise<RbacScanReport> {
    const r = new ObservedRunner(this.clusters.runner(call.cluster), call.observe);
    const [rolesOut, usersOut, capOut] = await Promise.all([
      r.run('tctl', r.tctl.getAll('roles'), { read: true }),
      r.run('tctl', r.tctl.getAll('users'), { read: true }),
      r.run('tctl', r.tctl.getAll('cluster_auth_preference'), { read: true }),
    ]);
    const roles = parseRoles(rolesOut.stdout);
    const users = parseUsers(usersOut.stdout);
    const authPreference = parseAuthPreference(capOut.stdout);
    return {
      roles: roles.length,
      users: users.length,
      findings: scanRbac({ roles, users, authPreference }, call.options),
    };
  }
}
