// Runs an allow-listed tsh/tctl command given as an argument list. The cluster's own global
// flags (identity, proxy/auth server) come first, taken from @tmcp/teleport's builders so the
// caller can never supply or override them; output is redacted by the runner.
import { Inject, Injectable } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import type { TeleportTool } from '@tmcp/teleport';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import {
  ObservedRunner,
  type CommandObserver,
  type TeleportRunnerSource,
} from '../security/observed-runner.js';
import { TeleportClusters } from '../teleport/teleport-clusters.js';
import { checkPassthroughArgs } from './passthrough-allow-list.js';

export interface PassthroughResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

@Injectable()
export class PassthroughService {
  constructor(
    @Inject(TeleportClusters) private readonly clusters: TeleportRunnerSource,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'policy'>,
  ) {}

  enabled(tool: TeleportTool): boolean {
    return tool === 'tsh'
      ? this.config.policy.allowTshPassthrough
      : this.config.policy.allowTctlPassthrough;
  }

  async run(call: {
    tool: TeleportTool;
    args: readonly string[];
    cluster?: string;
    observe?: CommandObserver;
  }): Promise<PassthroughResult> {
    if (!this.enabled(call.tool)) {
      throw AppError.accessDenied(
        `${call.tool} passthrough is disabled in the server configuration (policy.allow_${call.tool}_passthrough)`,
      );
    }
    const args = checkPassthroughArgs(call.tool, call.args);
    const runner = this.clusters.runner(call.cluster);
    const r = new ObservedRunner(runner, call.observe);
    const out = await r.run(call.tool, [...runner[call.tool].globalFlags(), ...args], {
      read: true,
    });
    return {
      command: `${call.tool} ${args.join(' ')}`,
      exitCode: out.exitCode,
      stdout: out.stdout,
      stderr: out.stderr,
      truncated: out.truncated,
    };
  }
}
