// The initial schema (DESIGN §4). Hand-written; `schema-sync.spec.ts` proves the entities describe
// exactly this schema, so a later change to either side without the other fails the tests.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1763750000000 implements MigrationInterface {
  name = 'Init1763750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "operations" (
        "op_id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "request_id" text,
        "session_id" text,
        "actor" text NOT NULL,
        "capability" text NOT NULL,
        "tool" text NOT NULL,
        "inputs" jsonb NOT NULL DEFAULT '{}',
        "status" text NOT NULL,
        "started_at" timestamp with time zone NOT NULL DEFAULT now(),
        "ended_at" timestamp with time zone,
        "duration_ms" integer,
        "exit_code" integer,
        "stdout" text,
        "stderr" text,
        "error" jsonb,
        "decision" jsonb,
        "reason" text,
        "ticket" text,
        "teleport_audit_refs" text[] NOT NULL DEFAULT '{}',
        CONSTRAINT "pk_operations" PRIMARY KEY ("op_id"),
        CONSTRAINT "ck_operations_status"
          CHECK ("status" IN ('queued', 'running', 'succeeded', 'failed', 'denied'))
      )`);
    await queryRunner.query(
      `CREATE INDEX "idx_operations_started_at" ON "operations" ("started_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_operations_actor_started_at" ON "operations" ("actor", "started_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_operations_status_started_at" ON "operations" ("status", "started_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_operations_capability_started_at" ON "operations" ("capability", "started_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "edge_agents" (
        "agent_id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "hostname" text,
        "version" text,
        "labels" jsonb NOT NULL DEFAULT '{}',
        "status" text NOT NULL DEFAULT 'offline',
        "connected_replica" text,
        "last_seen_at" timestamp with time zone,
        "created_at" timestamp with time zone NOT NULL DEFAULT now(),
        "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT "pk_edge_agents" PRIMARY KEY ("agent_id"),
        CONSTRAINT "ck_edge_agents_status" CHECK ("status" IN ('online', 'offline', 'draining'))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_edge_agents_name" ON "edge_agents" ("name")`);
    await queryRunner.query(
      `CREATE INDEX "idx_edge_agents_status_last_seen_at" ON "edge_agents" ("status", "last_seen_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "leases" (
        "lease_id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "kind" text NOT NULL,
        "actor" text NOT NULL,
        "cluster" text NOT NULL,
        "target" jsonb NOT NULL,
        "listen_addr" text,
        "pid" integer,
        "edge_agent_id" uuid,
        "created_at" timestamp with time zone NOT NULL DEFAULT now(),
        "expires_at" timestamp with time zone NOT NULL,
        "ended_at" timestamp with time zone,
        "status" text NOT NULL DEFAULT 'pending',
        "generation" integer NOT NULL DEFAULT 0,
        "last_heartbeat_at" timestamp with time zone,
        "exit_code" integer,
        "error" text,
        "reason" text,
        "ticket" text,
        CONSTRAINT "pk_leases" PRIMARY KEY ("lease_id"),
        CONSTRAINT "ck_leases_status" CHECK ("status" IN
          ('pending', 'starting', 'active', 'stopping', 'stopped', 'expired', 'failed')),
        CONSTRAINT "ck_leases_kind" CHECK ("kind" IN
          ('proxy_ssh', 'proxy_db', 'proxy_app', 'proxy_kube', 'proxy_mcp', 'mcp_db', 'vnet')),
        CONSTRAINT "fk_leases_edge_agent" FOREIGN KEY ("edge_agent_id")
          REFERENCES "edge_agents" ("agent_id") ON DELETE SET NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX "idx_leases_status_expires_at" ON "leases" ("status", "expires_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_leases_actor_status" ON "leases" ("actor", "status")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_leases_edge_agent_id" ON "leases" ("edge_agent_id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "lease_logs" (
        "lease_id" uuid NOT NULL,
        "seq" bigint NOT NULL,
        "ts" timestamp with time zone NOT NULL,
        "stream" text NOT NULL,
        "line" text NOT NULL,
        CONSTRAINT "pk_lease_logs" PRIMARY KEY ("lease_id", "seq"),
        CONSTRAINT "ck_lease_logs_stream" CHECK ("stream" IN ('stdout', 'stderr', 'system')),
        CONSTRAINT "fk_lease_logs_lease" FOREIGN KEY ("lease_id")
          REFERENCES "leases" ("lease_id") ON DELETE CASCADE
      )`);

    await queryRunner.query(`
      CREATE TABLE "join_tokens" (
        "token_id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "token_hash" text NOT NULL,
        "description" text,
        "labels" jsonb NOT NULL DEFAULT '{}',
        "created_by" text NOT NULL,
        "created_at" timestamp with time zone NOT NULL DEFAULT now(),
        "expires_at" timestamp with time zone NOT NULL,
        "used_at" timestamp with time zone,
        "used_by_agent_id" uuid,
        "revoked_at" timestamp with time zone,
        CONSTRAINT "pk_join_tokens" PRIMARY KEY ("token_id"),
        CONSTRAINT "fk_join_tokens_used_by_agent" FOREIGN KEY ("used_by_agent_id")
          REFERENCES "edge_agents" ("agent_id") ON DELETE SET NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_join_tokens_token_hash" ON "join_tokens" ("token_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_join_tokens_expires_at" ON "join_tokens" ("expires_at")`,
    );

    await queryRunner.query(`
      CREATE TABLE "principals" (
        "principal_id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "kind" text NOT NULL,
        "role" text NOT NULL,
        "key_prefix" text NOT NULL,
        "key_hash" text NOT NULL,
        "created_by" text,
        "created_at" timestamp with time zone NOT NULL DEFAULT now(),
        "expires_at" timestamp with time zone,
        "revoked_at" timestamp with time zone,
        "last_used_at" timestamp with time zone,
        CONSTRAINT "pk_principals" PRIMARY KEY ("principal_id"),
        CONSTRAINT "ck_principals_kind" CHECK ("kind" IN ('service', 'user'))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_principals_key_prefix" ON "principals" ("key_prefix")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_principals_name_active" ON "principals" ("name") WHERE "revoked_at" IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE "roles" (
        "name" text NOT NULL,
        "description" text NOT NULL DEFAULT '',
        "allow" jsonb NOT NULL DEFAULT '[]',
        "deny" jsonb NOT NULL DEFAULT '[]',
        "constraints" jsonb NOT NULL DEFAULT '{}',
        "created_at" timestamp with time zone NOT NULL DEFAULT now(),
        "updated_at" timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT "pk_roles" PRIMARY KEY ("name")
      )`);

    await queryRunner.query(`
      CREATE TABLE "agent_certificates" (
        "serial" text NOT NULL,
        "agent_id" uuid NOT NULL,
        "fingerprint" text NOT NULL,
        "not_before" timestamp with time zone NOT NULL,
        "not_after" timestamp with time zone NOT NULL,
        "revoked_at" timestamp with time zone,
        "created_at" timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT "pk_agent_certificates" PRIMARY KEY ("serial"),
        CONSTRAINT "fk_agent_certificates_agent" FOREIGN KEY ("agent_id")
          REFERENCES "edge_agents" ("agent_id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_agent_certificates_fingerprint" ON "agent_certificates" ("fingerprint")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_agent_certificates_agent_id" ON "agent_certificates" ("agent_id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "teleport_events" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "uid" text NOT NULL,
        "event" text NOT NULL,
        "code" text,
        "time" timestamp with time zone NOT NULL,
        "user" text,
        "success" boolean,
        "cluster" text,
        "raw" jsonb NOT NULL,
        "ingested_at" timestamp with time zone NOT NULL DEFAULT now(),
        CONSTRAINT "pk_teleport_events" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_teleport_events_uid" ON "teleport_events" ("uid")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_teleport_events_time" ON "teleport_events" ("time")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_teleport_events_event_time" ON "teleport_events" ("event", "time")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_teleport_events_user_time" ON "teleport_events" ("user", "time")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Children before parents; indexes and constraints go with their tables.
    for (const table of [
      'teleport_events',
      'agent_certificates',
      'roles',
      'principals',
      'join_tokens',
      'lease_logs',
      'leases',
      'edge_agents',
      'operations',
    ]) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}
