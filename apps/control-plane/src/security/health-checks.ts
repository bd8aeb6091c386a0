// The checks of `run_health_check`: pure functions over the models @tmcp/teleport parses from
// tctl output. Each returns findings with a stable check id, a severity, the evidence and what to
// do. Thresholds are options so operators (and tests) can tune them.
import type {
  AuthPreference,
  TctlStatus,
  TeleportCertAuthority,
  TeleportNode,
  TeleportProxy,
  TeleportToken,
} from '@tmcp/teleport';
import { versionParts } from '@tmcp/teleport';
import { z } from 'zod';
import { bySeverityDesc, severitySchema } from './severity.js';

export const healthFindingSchema = z.object({
  check: z.string().describe('Stable check id, e.g. HC-CA-ROTATION-STUCK'),
  severity: severitySchema,
  title: z.string(),
  resource: z.string().optional().describe('kind/name of the resource concerned'),
  evidence: z.string(),
  remediation: z.string(),
});
export type HealthFinding = z.infer<typeof healthFindingSchema>;

export interface HealthInventory {
  status: TctlStatus;
  nodes: TeleportNode[];
  proxies: TeleportProxy[];
  cas: TeleportCertAuthority[];
  authPreference: AuthPreference;
  tokens: TeleportToken[];
}

export interface HealthCheckOptions {
  now: Date;
  /** A CA rotation in progress longer than this is stuck (default 48 h). */
  rotationStuckAfterMs?: number;
  /** Tokens expiring within this window are reported (default 24 h). */
  tokenExpiryWarningMs?: number;
}

const HOUR = 3_600_000;
export const HEALTH_DEFAULTS = {
  rotationStuckAfterMs: 48 * HOUR,
  tokenExpiryWarningMs: 24 * HOUR,
} as const;

export function checkCaRotations(
  cas: readonly TeleportCertAuthority[],
  options: HealthCheckOptions,
): HealthFinding[] {
  const stuckAfter = options.rotationStuckAfterMs ?? HEALTH_DEFAULTS.rotationStuckAfterMs;
  const findings: HealthFinding[] = [];
  for (const ca of cas) {
    const r = ca.rotation;
    if (r === undefined) continue;
    const inProgress =
      r.state === 'in_progress' || (r.phase !== undefined && !['', 'standby'].includes(r.phase));
    if (!inProgress) continue;
    const resource = `cert_authority/${ca.type}/${ca.clusterName}`;
    const started = r.started === undefined ? undefined : Date.parse(r.started);
    const ageMs =
      started === undefined || Number.isNaN(started) ? undefined : options.now.getTime() - started;
    const evidence = `rotation state=${r.state ?? '?'} phase=${r.phase ?? '?'} mode=${r.mode ?? '?'}${r.started ? ` started=${r.started}` : ''}${ageMs === undefined ? '' : ` (${formatHours(ageMs)} ago)`}`;
    if (ageMs !== undefined && ageMs > stuckAfter) {
      findings.push({
        check: 'HC-CA-ROTATION-STUCK',
        severity: 'high',
        title: `The ${ca.type} CA rotation has been in progress for ${formatHours(ageMs)}`,
        resource,
        evidence,
        remediation:
          r.mode === 'manual'
            ? `Advance the manual rotation to its next phase (\`tctl auth rotate --manual --type=${ca.type} --phase=<next phase>\`) or roll it back (\`--phase=rollback\`) once every agent has reconnected.`
            : `Check why the automatic rotation does not progress (agents offline, auth server logs); roll it back with \`tctl auth rotate --manual --type=${ca.type} --phase=rollback\` if it cannot complete.`,
      });
    } else {
      findings.push({
        check: 'HC-CA-ROTATION-IN-PROGRESS',
        severity: 'medium',
        title: `The ${ca.type} CA is being rotated (phase ${r.phase ?? 'unknown'})`,
        resource,
        evidence,
        remediation:
          'Make sure every agent and client reconnects during the rotation, then complete it; certificates issued by the old CA stop working once it finishes.',
      });
    }
  }
  return findings;
}

export function checkTokens(
  tokens: readonly TeleportToken[],
  options: HealthCheckOptions,
): HealthFinding[] {
  const window = options.tokenExpiryWarningMs ?? HEALTH_DEFAULTS.tokenExpiryWarningMs;
  const now = options.now.getTime();
  const findings: HealthFinding[] = [];
  for (const t of tokens) {
    if (t.expires === undefined) continue;
    const expires = Date.parse(t.expires);
    if (Number.isNaN(expires)) continue;
    const resource = `token/${t.masked} (${t.fingerprint})`;
    const evidence = `roles=${t.roles.join(',')} join_method=${t.joinMethod} expires=${t.expires}`;
    if (expires <= now) {
      findings.push({
        check: 'HC-TOKEN-EXPIRED',
        severity: 'info',
        title: `A ${t.roles.join('/')} join token has expired`,
        resource,
        evidence,
        remediation:
          'Agents can no longer join with it; remove it (`tctl tokens rm`) and issue a new one if a join is still planned.',
      });
    } else if (expires - now <= window) {
      findings.push({
        check: 'HC-TOKEN-EXPIRING',
        severity: 'low',
        title: `A ${t.roles.join('/')} join token expires in ${formatHours(expires - now)}`,
        resource,
        evidence,
        remediation:
          'Finish the planned joins before it expires, or issue a new token (`tctl tokens add --type=<role> --ttl=<duration>`).',
      });
    }
  }
  return findings;
}

interface VersionedAgent {
  kind: 'node' | 'proxy';
  name: string;
  hostname: string;
  version?: string;
}

/**
 * Teleport supports agents at most one major version behind the auth service and never ahead of
 * it: one major behind is a warning, two or more (or ahead) is breakage waiting to happen.
 */
export function checkVersionSkew(
  clusterVersion: string,
  agents: readonly VersionedAgent[],
): HealthFinding[] {
  if (clusterVersion === '') return [];
  const [cMajor, cMinor] = versionParts(clusterVersion);
  const findings: HealthFinding[] = [];
  for (const a of agents) {
    if (a.version === undefined) continue;
    const [major, minor] = versionParts(a.version);
    const resource = `${a.kind}/${a.hostname || a.name}`;
    const evidence = `${a.kind} ${a.hostname || a.name} runs ${a.version}; the cluster runs ${clusterVersion}`;
    const upgrade = `Upgrade the Teleport agent on ${a.hostname || a.name} to ${clusterVersion} (or enable managed agent updates).`;
    if (major > cMajor || (major === cMajor && minor > cMinor)) {
      findings.push({
        check: 'HC-VERSION-AHEAD',
        severity: 'high',
        title: `${a.kind} ${a.hostname || a.name} runs a newer version than the cluster`,
        resource,
        evidence,
        remediation: `Agents must not be newer than the auth service: upgrade the cluster first or downgrade ${a.hostname || a.name}.`,
      });
    } else if (cMajor - major >= 2) {
      findings.push({
        check: 'HC-VERSION-MAJOR-BEHIND',
        severity: 'high',
        title: `${a.kind} ${a.hostname || a.name} is ${cMajor - major} major versions behind (unsupported)`,
        resource,
        evidence,
        remediation: upgrade,
      });
    } else if (cMajor - major === 1) {
      findings.push({
        check: 'HC-VERSION-MAJOR-BEHIND',
        severity: 'medium',
        title: `${a.kind} ${a.hostname || a.name} is one major version behind`,
        resource,
        evidence,
        remediation: `${upgrade} It stops being supported with the next cluster major upgrade.`,
      });
    } else if (minor < cMinor) {
      findings.push({
        check: 'HC-VERSION-MINOR-BEHIND',
        severity: 'low',
        title: `${a.kind} ${a.hostname || a.name} is behind by ${cMinor - minor} minor version(s)`,
        resource,
        evidence,
        remediation: upgrade,
      });
    }
  }
  return findings;
}

/** MFA is off when the only setting says off/optional (second_factors wins when present). */
export function checkMfa(pref: AuthPreference): HealthFinding[] {
  const resource = 'cluster_auth_preference/cluster-auth-preference';
  const factors = pref.secondFactors.filter((f) => f !== 'unspecified' && f !== 'unknown');
  if (factors.length > 0) return [];
  const setting = (pref.secondFactor ?? '').toLowerCase();
  const sso = pref.type !== 'local';
  if (setting === 'off') {
    return [
      {
        check: 'HC-MFA-OFF',
        severity: sso && pref.allowLocalAuth === false ? 'medium' : 'high',
        title: 'Second factor authentication is turned off',
        resource,
        evidence: `spec.second_factor: "off"${sso ? ` (type ${pref.type})` : ''}`,
        remediation:
          'Set `second_factors: ["webauthn", "otp"]` (or `second_factor: on`) in cluster_auth_preference with `tctl edit cap`, after users have registered an MFA device.',
      },
    ];
  }
  if (setting === 'optional') {
    return [
      {
        check: 'HC-MFA-OPTIONAL',
        severity: 'medium',
        title: 'Second factor authentication is optional',
        resource,
        evidence: 'spec.second_factor: "optional"',
        remediation:
          'Users without a device log in with a password only; switch to `second_factor: on` (or `second_factors: ["webauthn", "otp"]`) once every user has a device.',
      },
    ];
  }
  return [];
}

export function checkProxies(proxies: readonly TeleportProxy[]): HealthFinding[] {
  if (proxies.length > 0) return [];
  return [
    {
      check: 'HC-NO-PROXIES',
      severity: 'critical',
      title: 'No proxy service is registered',
      evidence: '`tctl get proxies` returned no proxy',
      remediation:
        'No user or agent can reach the cluster through a proxy: check that the proxy service runs and can reach the auth service (its logs and `tctl status`).',
    },
  ];
}

/** Nodes whose heartbeat expired (offline), and nodes reachable only through a reverse tunnel. */
export function checkNodes(
  nodes: readonly TeleportNode[],
  options: HealthCheckOptions,
): HealthFinding[] {
  const findings: HealthFinding[] = [];
  for (const n of nodes) {
    const resource = `node/${n.hostname || n.name}`;
    const expires = n.expires === undefined ? NaN : Date.parse(n.expires);
    if (!Number.isNaN(expires) && expires <= options.now.getTime()) {
      findings.push({
        check: 'HC-NODE-OFFLINE',
        severity: 'medium',
        title: `Node ${n.hostname || n.name} stopped heartbeating`,
        resource,
        evidence: `heartbeat expired at ${n.expires ?? ''}`,
        remediation: `Check the teleport service on ${n.hostname || n.name} and its connectivity to the cluster.`,
      });
    }
    if (n.useTunnel) {
      findings.push({
        check: 'HC-NODE-TUNNEL-ONLY',
        severity: 'info',
        title: `Node ${n.hostname || n.name} is reachable only through a reverse tunnel`,
        resource,
        evidence: `spec.use_tunnel: true, addr "${n.addr}"`,
        remediation:
          'Nothing to do if intended; its availability depends on the tunnel to the proxies staying up.',
      });
    }
  }
  return findings;
}

/** Every check, highest severity first. */
export function runHealthChecks(
  inv: HealthInventory,
  options: HealthCheckOptions,
): HealthFinding[] {
  const clusterVersion = inv.status.version;
  return [
    ...checkCaRotations(inv.cas, options),
    ...checkTokens(inv.tokens, options),
    ...checkVersionSkew(clusterVersion, [
      ...inv.nodes.map((n) => ({
        kind: 'node' as const,
        name: n.name,
        hostname: n.hostname,
        ...(n.version === undefined ? {} : { version: n.version }),
      })),
      ...inv.proxies.map((p) => ({
        kind: 'proxy' as const,
        name: p.name,
        hostname: p.hostname,
        ...(p.version === undefined ? {} : { version: p.version }),
      })),
    ]),
    ...checkMfa(inv.authPreference),
    ...checkProxies(inv.proxies),
    ...checkNodes(inv.nodes, options),
  ].sort(bySeverityDesc);
}

function formatHours(ms: number): string {
  const hours = ms / HOUR;
  if (hours < 1) return `${Math.max(1, Math.round(ms / 60_000))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}
