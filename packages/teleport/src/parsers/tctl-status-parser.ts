// `tctl status` (TELEPORT.md §2.9): text in every version (JSON only in the newest, also
// accepted). Newer versions print `Cluster:`/`Version:`/`CA pins:` rows, v14 and older a headless
// table with `Cluster`, `Version`, `<type> CA`, `CA pin` rows.
import { AppError } from '@tmcp/errors';
import { assertCompleteOutput } from '../output-truncation.js';
import { asJson } from './tolerant-schemas.js';

export interface TctlStatus {
  cluster: string;
  version: string;
  caPins: string[];
  /** Per CA type: the rotation column (`never updated`, `rotated …`, `<phase> (mode: …)`). */
  authorities: { type: string; rotation: string }[];
}

export function parseTctlStatus(text: string): TctlStatus {
  assertCompleteOutput(text, 'tctl status');
  const trimmed = text.trim();
  return complete(
    trimmed.startsWith('{') ? fromJson(asJson(trimmed, 'tctl status')) : fromText(text),
  );
}

/** Every form names the cluster and its version; output without them is not `tctl status`. */
function complete(status: TctlStatus): TctlStatus {
  const missing = [
    ...(status.cluster === '' ? ['cluster name'] : []),
    ...(status.version === '' ? ['version'] : []),
  ];
  if (missing.length > 0) {
    throw new AppError(
      'teleport_error',
      `tctl status printed no ${missing.join(' and no ')}; check that the Teleport version is supported`,
    );
  }
  return status;
}

function fromText(text: string): TctlStatus {
  const lines = text.split('\n').map((l) => l.replace(/\s+$/, ''));
  const status: TctlStatus = { cluster: '', version: '', caPins: [], authorities: [] };
  let inPins = false;
  // The key table is tabwriter output: cells are located by the header's column offsets.
  let columns: { rotation: number; protocol: number } | undefined;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if (columns) {
      if (line.trim() === '' || /^-+[\s-]*$/.test(line)) continue;
      const type = line.slice(0, columns.rotation).trim();
      const rotation = line.slice(columns.rotation, columns.protocol).trim();
      if (type) status.authorities.push({ type, rotation });
      continue;
    }
    if ((m = /^Cluster:?\s+(\S+)/.exec(line))) status.cluster = m[1] ?? '';
    else if ((m = /^Version:?\s+(\S+)/.exec(line))) status.version = m[1] ?? '';
    else if ((m = /^CA pins?:?\s+(sha256:\S+)/.exec(line))) {
      status.caPins.push(m[1] ?? '');
      inPins = true;
      continue;
    } else if (inPins && (m = /^\s+(sha256:\S+)$/.exec(line))) {
      status.caPins.push(m[1] ?? '');
      continue;
    } else if (/^authority\s+rotation\s+protocol/.test(line)) {
      columns = { rotation: line.indexOf('rotation'), protocol: line.indexOf('protocol') };
    } else if ((m = /^([a-z_]+) CA\s+(.+)$/.exec(line))) {
      status.authorities.push({ type: m[1] ?? '', rotation: (m[2] ?? '').trim() });
    }
    inPins = false;
  }
  return status;
}

function fromJson(json: unknown): TctlStatus {
  const o = (json ?? {}) as {
    cluster?: { name?: unknown; version?: unknown; ca_pins?: unknown };
    authorities?: { type?: unknown; rotation?: { state?: unknown; phase?: unknown } }[];
  };
  return {
    cluster: typeof o.cluster?.name === 'string' ? o.cluster.name : '',
    version: typeof o.cluster?.version === 'string' ? o.cluster.version : '',
    caPins: Array.isArray(o.cluster?.ca_pins)
      ? o.cluster.ca_pins.filter((p): p is string => typeof p === 'string')
      : [],
    authorities: (Array.isArray(o.authorities) ? o.authorities : []).map((a) => ({
      type: typeof a.type === 'string' ? a.type : '',
      rotation:
        typeof a.rotation?.phase === 'string' && a.rotation.phase !== ''
          ? a.rotation.phase
          : 'never updated',
    })),
  };
}
