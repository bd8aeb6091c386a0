// Fault injection driven by the environment, so tests of the product can reach every error
// path of a real cluster: latency, a chosen failure per command, hangs, crashing proxies and a
// planted secret that must be redacted downstream.
import { TeleportError } from '../cli/teleport-error.js';

export type FailureKind = 'expired' | 'access_denied' | 'unreachable' | 'not_found';

interface FaultRule {
  pattern: RegExp;
  outcome: string;
}

/** `tctl get nodes` matches `tctl get nodes`, `tctl get nodes/x`? no: words; `*` is a wildcard. */
function commandPattern(text: string): RegExp {
  const escaped = text
    .trim()
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*');
  return new RegExp(`^${escaped}(?:\\s|$)`);
}

function parseRules(raw: string | undefined, withOutcome: boolean): FaultRule[] {
  if (!raw) return [];
  return raw
    .split(/;|\n/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = withOutcome ? part.indexOf('=') : -1;
      const pattern = eq >= 0 ? part.slice(0, eq) : part;
      return {
        pattern: commandPattern(pattern),
        outcome: eq >= 0 ? part.slice(eq + 1).trim() : '',
      };
    });
}

export class FaultKnobs {
  readonly latencyMs: number;
  readonly crashAfterMs: number | undefined;
  readonly secretPlant: string | undefined;
  private readonly failures: FaultRule[];
  private readonly hangs: FaultRule[];

  constructor(env: NodeJS.ProcessEnv) {
    this.latencyMs = Math.max(0, Number(env.TELEPORT_SIM_LATENCY_MS ?? 0) || 0);
    const crash = Number(env.TELEPORT_SIM_CRASH_AFTER_MS);
    this.crashAfterMs = Number.isFinite(crash) && crash > 0 ? crash : undefined;
    this.secretPlant =
      env.TELEPORT_SIM_SECRET_PLANT === '' ? undefined : env.TELEPORT_SIM_SECRET_PLANT;
    this.failures = parseRules(env.TELEPORT_SIM_FAIL, true);
    this.hangs = parseRules(env.TELEPORT_SIM_HANG, false);
  }

  /** The forced outcome for this command line (`tctl get nodes`), if any. */
  forcedFailure(commandLine: string): string | undefined {
    return this.failures.find((r) => r.pattern.test(commandLine))?.outcome;
  }

  shouldHang(commandLine: string): boolean {
    return this.hangs.some((r) => r.pattern.test(commandLine));
  }
}

/** The real error a forced failure kind stands for, as the given program prints it. */
export function forcedError(
  outcome: string,
  program: 'tsh' | 'tctl',
  address: string,
): TeleportError {
  switch (outcome) {
    case 'expired':
      return expiredCredentials(program);
    case 'access_denied':
      return TeleportError.accessDenied('access denied');
    case 'not_found':
      return TeleportError.notFound('not found');
    case 'unreachable':
      return unreachable(program, address);
    default:
      return new TeleportError('internal', outcome);
  }
}

/** What an expired certificate produces (§4.2 / §4.3). */
export function expiredCredentials(program: 'tsh' | 'tctl'): TeleportError {
  return program === 'tctl'
    ? new TeleportError('expired', 'your credentials have expired, please login using `tsh login`')
    : new TeleportError('expired', 'remote error: tls: expired certificate');
}

export function unreachable(program: 'tsh' | 'tctl', address: string): TeleportError {
  return program === 'tctl'
    ? new TeleportError(
        'unreachable',
        `Cannot connect to the auth server. Is the auth server running on "${address}"?`,
        true,
      )
    : new TeleportError(
        'unreachable',
        `Get "https://${address}/webapi/ping": dial tcp ${address}: connect: connection refused`,
      );
}
