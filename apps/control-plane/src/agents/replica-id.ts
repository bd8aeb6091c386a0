// Names this control-plane process in edge_agents.connected_replica.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const REPLICA_ID = Symbol('REPLICA_ID');

export function newReplicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
