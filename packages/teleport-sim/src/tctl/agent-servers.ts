// `app_server` / `db_server` resources: what the auth server keeps from the heartbeats of the
// agents serving each app and database (AppServerV3 / DatabaseServerV3, proto field order).
// The simulator derives them from its apps and databases, all served by one agent host (the
// first node), so they always agree with `tctl get apps` / `tctl get db`.
import { randomUUID } from 'node:crypto';
import { rfc3339Nano, ZERO_TIME } from '../format/go-time.js';
import type { Resource, SimState } from '../state/sim-state.js';

const HEARTBEAT_TTL_MS = 10 * 60_000;
const ZERO_ROTATION = {
  current_id: '',
  started: ZERO_TIME,
  last_rotated: ZERO_TIME,
  schedule: { update_clients: ZERO_TIME, update_servers: ZERO_TIME, standby: ZERO_TIME },
};

/** The served resource as a server embeds it: no revision of its own. */
function embedded(resource: Resource): Resource {
  const { revision: _revision, ...metadata } = resource.metadata;
  return { ...resource, metadata };
}

function agentServer(
  state: SimState,
  now: Date,
  kind: 'app_server' | 'db_server',
  served: Resource,
): Resource {
  const host = state.nodes[0];
  return {
    kind,
    version: 'v3',
    metadata: {
      name: served.metadata.name,
      expires: rfc3339Nano(new Date(now.getTime() + HEARTBEAT_TTL_MS)),
      revision: randomUUID(),
    },
    spec: {
      version: state.cluster.version,
      hostname: typeof host?.spec.hostname === 'string' ? host.spec.hostname : 'teleport-agent',
      host_id: host?.metadata.name ?? state.cluster.authHostId,
      rotation: ZERO_ROTATION,
      [kind === 'app_server' ? 'app' : 'database']: embedded(served),
      proxy_ids: state.proxies.map((p) => p.metadata.name),
    },
  };
}

export function appServers(state: SimState, now: Date): Resource[] {
  return state.apps.map((app) => agentServer(state, now, 'app_server', app));
}

export function databaseServers(state: SimState, now: Date): Resource[] {
  return state.db.map((db) => agentServer(state, now, 'db_server', db));
}
