// SQL about edge agents: enrollment rows, issued certificates, presence (status,
// connected_replica, last_seen_at on the database clock) and the choice of an agent for a lease.
import { Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import { DataSource, type EntityManager } from 'typeorm';
import type { EdgeAgentStatus } from '../database/entities/index.js';
import type { IssuedCertificate } from './certificate-authority.js';

export interface EdgeAgentRecord {
  readonly agentId: string;
  readonly name: string;
  readonly hostname: string | null;
  readonly version: string | null;
  readonly labels: Record<string, string>;
  readonly status: EdgeAgentStatus;
  readonly connectedReplica: string | null;
  readonly lastSeenAt: Date | null;
}

interface AgentRow {
  agent_id: string;
  name: string;
  hostname: string | null;
  version: string | null;
  labels: Record<string, string>;
  status: EdgeAgentStatus;
  connected_replica: string | null;
  last_seen_at: Date | null;
}

export interface CertificateRecord {
  readonly serial: string;
  readonly agentId: string;
  readonly notAfter: Date;
  readonly revokedAt: Date | null;
}

const COLUMNS =
  'agent_id, name, hostname, version, labels, status, connected_replica, last_seen_at';

@Injectable()
export class EdgeAgentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(
    manager: EntityManager,
    agent: {
      agentId: string;
      hostname: string;
      version: string;
      labels: Record<string, string>;
      /** The name the agent asked for (`tmcp-agent enroll --name`); used when still free. */
      proposedName?: string | undefined;
    },
  ): Promise<void> {
    const fallback = `${agent.hostname || 'agent'}-${agent.agentId.slice(0, 8)}`;
    const insert = (name: string) =>
      manager.query<{ agent_id: string }[]>(
        `INSERT INTO edge_agents (agent_id, name, hostname, version, labels, status)
         VALUES ($1, $2, $3, $4, $5, 'offline')
         ON CONFLICT (name) DO NOTHING
         RETURNING agent_id`,
        [
          agent.agentId,
          name,
          agent.hostname || null,
          agent.version || null,
          JSON.stringify(agent.labels),
        ],
      );
    // A name taken meanwhile (two agents enrolling at once with the same proposal) waits for the
    // other insert and yields: this agent gets its unique fallback instead of a failed enrollment.
    if (agent.proposedName !== undefined && (await insert(agent.proposedName)).length === 1) return;
    if ((await insert(fallback)).length === 0) {
      throw new AppError('already_exists', `an edge agent named "${fallback}" already exists`);
    }
  }

  async setLabels(
    manager: EntityManager,
    agentId: string,
    labels: Record<string, string>,
  ): Promise<void> {
    await manager.query(
      `UPDATE edge_agents SET labels = $2, updated_at = now() WHERE agent_id = $1`,
      [agentId, JSON.stringify(labels)],
    );
  }

  async recordCertificate(
    manager: EntityManager,
    agentId: string,
    cert: IssuedCertificate,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO agent_certificates (serial, agent_id, fingerprint, not_before, not_after) VALUES ($1, $2, $3, $4, $5)`,
      [cert.serial, agentId, cert.fingerprint, cert.notBefore, cert.notAfter],
    );
  }

  async findCertificate(fingerprint: string): Promise<CertificateRecord | undefined> {
    const rows = await this.dataSource.query<
      { serial: string; agent_id: string; not_after: Date; revoked_at: Date | null }[]
    >(
      `SELECT serial, agent_id, not_after, revoked_at FROM agent_certificates WHERE fingerprint = $1`,
      [fingerprint],
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : {
          serial: row.serial,
          agentId: row.agent_id,
          notAfter: row.not_after,
          revokedAt: row.revoked_at,
        };
  }

  /** Revokes one certificate of the agent (the one superseded by a renewal). */
  async revokeCertificate(
    manager: EntityManager,
    agentId: string,
    fingerprint: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE agent_certificates SET revoked_at = now()
        WHERE agent_id = $1 AND fingerprint = $2 AND revoked_at IS NULL`,
      [agentId, fingerprint],
    );
  }

  /** Whether the agent holds a certificate that is not revoked and not expired (database clock). */
  async hasValidCertificate(agentId: string): Promise<boolean> {
    const [row] = await this.dataSource.query<{ ok: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM agent_certificates
          WHERE agent_id = $1 AND revoked_at IS NULL AND not_after > now()) AS ok`,
      [agentId],
    );
    return row?.ok === true;
  }

  /** Revokes every certificate of the agent; answers how many were still valid. */
  async revokeCertificates(agentId: string): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE agent_certificates SET revoked_at = now() WHERE agent_id = $1 AND revoked_at IS NULL`,
      [agentId],
    );
    return count;
  }

  async get(agentId: string): Promise<EdgeAgentRecord | undefined> {
    const rows = await this.dataSource.query<AgentRow[]>(
      `SELECT ${COLUMNS} FROM edge_agents WHERE agent_id = $1`,
      [agentId],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  /**
   * Records the connection to `replica`; says whether the agent is draining (which survives
   * reconnects).
   */
  async markConnected(
    agentId: string,
    replica: string,
    hello: { hostname: string; version: string },
  ): Promise<{ draining: boolean }> {
    // UPDATE … RETURNING answers [rows, affected count].
    const [rows] = await this.dataSource.query<[{ status: string }[], number]>(
      `UPDATE edge_agents SET
          status = CASE WHEN status = 'draining' THEN status ELSE 'online' END,
          connected_replica = $2, last_seen_at = now(), updated_at = now(),
          hostname = coalesce(nullif($3, ''), hostname), version = coalesce(nullif($4, ''), version)
        WHERE agent_id = $1
        RETURNING status`,
      [agentId, replica, hello.hostname, hello.version],
    );
    return { draining: rows[0]?.status === 'draining' };
  }

  /**
   * A heartbeat through `replica`'s stream. An agent the reaper took for silent comes back
   * online held by that replica again, so the disconnect of that stream finds it. A replica
   * already recorded stays: a late heartbeat of an old stream must not take the agent from the
   * replica it has reconnected to.
   */
  async touch(agentId: string, replica: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE edge_agents SET last_seen_at = now(), connected_replica = coalesce(connected_replica, $2),
          status = CASE WHEN status = 'offline' THEN 'online' ELSE status END
        WHERE agent_id = $1`,
      [agentId, replica],
    );
  }

  /** Offline, unless the agent has meanwhile connected to another replica. */
  async markDisconnected(agentId: string, replica: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE edge_agents SET
          status = CASE WHEN status = 'draining' THEN status ELSE 'offline' END,
          connected_replica = NULL, updated_at = now()
        WHERE agent_id = $1 AND connected_replica = $2`,
      [agentId, replica],
    );
  }

  /**
   * Agents silent for longer than `seconds` (database clock) lose their replica (its stream is
   * dead, or the replica is): online ones go offline, draining ones stay draining, no longer
   * connected.
   */
  async markSilentOffline(seconds: number): Promise<string[]> {
    const [rows] = await this.dataSource.query<[{ agent_id: string }[], number]>(
      `UPDATE edge_agents a SET
          status = CASE WHEN a.status = 'draining' THEN a.status ELSE 'offline' END,
          connected_replica = NULL, updated_at = now()
        WHERE ${ONLINE} AND (a.last_seen_at IS NULL OR a.last_seen_at < now() - make_interval(secs => $1))
        RETURNING a.agent_id`,
      [seconds],
    );
    return rows.map((row) => row.agent_id);
  }

  async countOnline(): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM edge_agents WHERE status = 'online'`,
    );
    return row?.n ?? 0;
  }

  /**
   * The agent for a new lease. Given one, it must be online (not draining, not offline).
   * Otherwise: among online agents, the one with the fewest live leases; ties go to the one
   * heard from most recently, then to the lowest id (deterministic).
   */
  async choose(agentId: string | undefined): Promise<EdgeAgentRecord> {
    if (agentId !== undefined) {
      const agent = UUID.test(agentId) ? await this.get(agentId) : await this.getByName(agentId);
      if (agent === undefined)
        throw new AppError('not_found', `edge agent ${agentId} does not exist`);
      if (agent.status !== 'online') {
        throw new AppError(
          'precondition_failed',
          `edge agent ${agentId} is ${agent.status}: pick another agent or omit "agent" to let the control plane choose`,
        );
      }
      return agent;
    }
    const rows = await this.dataSource.query<AgentRow[]>(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `a.${c}`)
        .join(', ')} FROM edge_agents a
        LEFT JOIN leases l ON l.edge_agent_id = a.agent_id AND l.status IN ('pending', 'starting', 'active', 'stopping')
        WHERE a.status = 'online'
        GROUP BY a.agent_id
        ORDER BY count(l.lease_id), a.last_seen_at DESC NULLS LAST, a.agent_id
        LIMIT 1`,
    );
    const row = rows[0];
    if (row === undefined) {
      throw new AppError(
        'unavailable',
        'no edge agent is online: start one (`tmcp-agent run`), or enroll one with a token from `tmcp-server tokens create`',
      );
    }
    return toRecord(row);
  }

  /** One page of agents by name (unique), for the admin API; the cursor is the last name. */
  async page(options: {
    onlineOnly: boolean;
    afterName?: string;
    limit: number;
  }): Promise<EdgeAgentDetails[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.onlineOnly) where.push(ONLINE);
    if (options.afterName !== undefined) {
      params.push(options.afterName);
      where.push(`a.name > $${params.length}`);
    }
    params.push(options.limit);
    const rows = await this.dataSource.query<DetailsRow[]>(
      `${DETAILS} ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
        ORDER BY a.name LIMIT $${params.length}`,
      params,
    );
    return rows.map(toDetails);
  }

  /** An agent by id or name, with its enrollment and certificate dates. */
  async details(idOrName: string): Promise<EdgeAgentDetails | undefined> {
    const rows = await this.dataSource.query<DetailsRow[]>(
      `${DETAILS} WHERE ${UUID.test(idOrName) ? 'a.agent_id = $1::uuid' : 'a.name = $1'}`,
      [idOrName],
    );
    return rows[0] === undefined ? undefined : toDetails(rows[0]);
  }

  /** Draining: no new leases are placed on the agent (choose() wants `online`); idempotent. */
  async markDraining(agentId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE edge_agents SET status = 'draining', updated_at = now() WHERE agent_id = $1`,
      [agentId],
    );
  }

  /** Agents holding a stream to some replica, draining or not. */
  async countConnected(): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM edge_agents a WHERE ${ONLINE}`,
    );
    return row?.n ?? 0;
  }

  private async getByName(name: string): Promise<EdgeAgentRecord | undefined> {
    const rows = await this.dataSource.query<AgentRow[]>(
      `SELECT ${COLUMNS} FROM edge_agents WHERE name = $1`,
      [name],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }
}

/** An agent as the admin API shows it. */
export interface EdgeAgentDetails extends EdgeAgentRecord {
  readonly connected: boolean;
  readonly enrolledAt: Date;
  /** The newest unrevoked certificate's expiry. */
  readonly certNotAfter: Date | null;
  /** When the agent was revoked: set when every certificate it was issued is revoked. */
  readonly revokedAt: Date | null;
}

interface DetailsRow extends AgentRow {
  connected: boolean;
  created_at: Date;
  cert_not_after: Date | null;
  revoked_at: Date | null;
}

/** Connected: online, or draining while a replica holds its stream. */
const ONLINE = `(a.status = 'online' OR (a.status = 'draining' AND a.connected_replica IS NOT NULL))`;

const DETAILS = `SELECT ${COLUMNS.split(', ')
  .map((c) => `a.${c}`)
  .join(', ')}, ${ONLINE} AS connected, a.created_at,
    (SELECT max(c.not_after) FROM agent_certificates c
      WHERE c.agent_id = a.agent_id AND c.revoked_at IS NULL) AS cert_not_after,
    (SELECT max(c.revoked_at) FROM agent_certificates c WHERE c.agent_id = a.agent_id
      HAVING bool_and(c.revoked_at IS NOT NULL)) AS revoked_at
  FROM edge_agents a`;

function toDetails(row: DetailsRow): EdgeAgentDetails {
  return {
    ...toRecord(row),
    connected: row.connected,
    enrolledAt: row.created_at,
    certNotAfter: row.cert_not_after,
    revokedAt: row.revoked_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toRecord(row: AgentRow): EdgeAgentRecord {
  return {
    agentId: row.agent_id,
    name: row.name,
    hostname: row.hostname,
    version: row.version,
    labels: row.labels,
    status: row.status,
    connectedReplica: row.connected_replica,
    lastSeenAt: row.last_seen_at,
  };
}
