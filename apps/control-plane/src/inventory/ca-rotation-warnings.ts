// Rotation warnings for certificate authorities (pure): a rotation in progress, one that looks
// stuck, and CAs never or long ago rotated.
import type { TeleportCertAuthority } from '@tmcp/teleport';

export interface CaWarning {
  type: string;
  clusterName: string;
  severity: 'info' | 'warning';
  message: string;
}

const DAY_MS = 24 * 3600_000;
/** A rotation running longer than this is probably stuck. */
export const STUCK_ROTATION_MS = DAY_MS;
/** CAs not rotated for longer than this are flagged. */
export const STALE_ROTATION_MS = 365 * DAY_MS;

export function caRotationWarnings(cas: readonly TeleportCertAuthority[], now: Date): CaWarning[] {
  const warnings: CaWarning[] = [];
  for (const ca of cas) {
    const r = ca.rotation;
    const label = `${ca.type} CA of ${ca.clusterName}`;
    if (r?.state === 'in_progress') {
      const started = r.started === undefined ? undefined : Date.parse(r.started);
      const age =
        started === undefined || Number.isNaN(started) ? undefined : now.getTime() - started;
      const since = r.started === undefined ? '' : ` since ${r.started}`;
      if (age !== undefined && age > STUCK_ROTATION_MS) {
        warnings.push({
          type: ca.type,
          clusterName: ca.clusterName,
          severity: 'warning',
          message: `${label}: rotation in phase ${r.phase ?? '?'}${since} (over ${Math.floor(age / DAY_MS)} day(s)): it looks stuck; advance it with \`tctl auth rotate --phase=…\` or roll back`,
        });
      } else {
        warnings.push({
          type: ca.type,
          clusterName: ca.clusterName,
          severity: 'info',
          message: `${label}: rotation in progress, phase ${r.phase ?? '?'}${since}`,
        });
      }
      continue;
    }
    const last = r?.lastRotated === undefined ? undefined : Date.parse(r.lastRotated);
    if (last !== undefined && !Number.isNaN(last) && now.getTime() - last > STALE_ROTATION_MS) {
      warnings.push({
        type: ca.type,
        clusterName: ca.clusterName,
        severity: 'warning',
        message: `${label}: last rotated ${r?.lastRotated ?? '?'}, over a year ago; plan a rotation`,
      });
    }
  }
  return warnings;
}
