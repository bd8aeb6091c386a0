// Integration (real PostgreSQL and Redis, the real gRPC port over mTLS): join tokens, enrollment,
// certificate checks and the identity rules of the Connect stream.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startLeaseHarness, type LeaseHarness } from '../leases/lease-test-harness.testing.js';
import { AgentEnrollmentService } from './agent-enrollment.service.js';
import { AgentsService } from './agents.service.js';
import { CertificateAuthority, sha256Hex } from './certificate-authority.js';
import { EdgeAgentsRepository } from './edge-agents.repository.js';
import { agentClient, enrollFakeAgent, FakeAgent, makeCsr } from './fake-agent.testing.js';
import { waitUntil } from './wait-until.testing.js';

describe('agent enrollment and the agent port', () => {
  let h: LeaseHarness;
  let enrollment: AgentEnrollmentService;

  before(async () => {
    h = await startLeaseHarness();
    enrollment = h.app.get(AgentEnrollmentService);
  });
  after(async () => {
    await h.close();
  });

  const agentCount = async (): Promise<number> => {
    const [row] = await h.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM edge_agents',
    );
    return row?.n ?? 0;
  };

  it('keeps the CA key private (dir 0700, key 0600) and pins the CA certificate', async () => {
    const dir = h.config.agentService.caDir;
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(dir, 'ca.key'))).mode & 0o777, 0o600);
    assert.match(h.ca.pin, /^sha256:[0-9a-f]{64}$/);
    const again = await CertificateAuthority.loadOrCreate(dir);
    assert.equal(again.pin, h.ca.pin, 'a second replica loads the same CA');
  });

  it('the agent port presents its CA with its certificate, so a CA pin alone can be checked', async () => {
    const chain = await new Promise<Buffer[]>((resolve, reject) => {
      const [host = '', port = ''] = h.address.split(':');
      const socket = connect({
        host,
        port: Number(port),
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
      });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        const out: Buffer[] = [];
        let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
        while (cert?.raw !== undefined && !out.some((c) => c.equals(cert!.raw))) {
          out.push(cert.raw);
          cert = cert.issuerCertificate;
        }
        socket.end();
        resolve(out);
      });
    });
    assert.equal(chain.length, 2, 'leaf and CA');
    assert.equal(`sha256:${sha256Hex(chain[1]!)}`, h.ca.pin);
  });

  it('names an agent as its CSR proposes (enroll --name) while that name is free', async () => {
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { token } = await h.tokens.create({ createdBy: 'test' });
      const { csrPem } = await makeCsr();
      const grant = await enrollment.enroll({
        joinToken: token,
        csrPem,
        hostname: 'host-a',
        labels: {},
        agentVersion: '1',
      });
      const [row] = await h.dataSource.query<{ name: string }[]>(
        'SELECT name FROM edge_agents WHERE agent_id = $1',
        [grant.agentId],
      );
      names.push(row?.name ?? '');
    }
    const taken = await h.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM edge_agents WHERE name = 'fake-agent'`,
    );
    assert.equal(taken[0]?.n, 1, 'the proposed name is given once');
    assert.match(names[1] ?? '', /^host-a-[0-9a-f]{8}$/, 'a taken name falls back to host-id');
  });

  it('agents enrolling at once with the same proposed name all enroll, one of them under it', async () => {
    const enrolls = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const { token } = await h.tokens.create({ createdBy: 'test' });
        const { csrPem } = await makeCsr();
        return { token, csrPem };
      }),
    );
    await h.dataSource.query(`DELETE FROM edge_agents WHERE name = 'fake-agent'`);
    const grants = await Promise.all(
      enrolls.map(({ token, csrPem }) =>
        enrollment.enroll({
          joinToken: token,
          csrPem,
          hostname: 'race',
          labels: {},
          agentVersion: '1',
        }),
      ),
    );
    const rows = await h.dataSource.query<{ name: string }[]>(
      'SELECT name FROM edge_agents WHERE agent_id = ANY($1)',
      [grants.map((g) => g.agentId)],
    );
    assert.equal(rows.length, 6);
    assert.equal(rows.filter((r) => r.name === 'fake-agent').length, 1);
    assert.equal(rows.filter((r) => /^race-[0-9a-f]{8}$/.test(r.name)).length, 5);
  });

  it('two replicas creating a CA at once agree on one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tmcp-ca-race-'));
    try {
      const cas = await Promise.all(
        Array.from({ length: 4 }, () => CertificateAuthority.loadOrCreate(dir)),
      );
      assert.equal(new Set(cas.map((ca) => ca.pin)).size, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a join token is consumed by exactly one of many parallel enrollments', async () => {
    const before = await agentCount();
    const { token } = await h.tokens.create({ createdBy: 'test', labels: { site: 'lab' } });
    const csrs = await Promise.all(Array.from({ length: 12 }, () => makeCsr()));
    const results = await Promise.allSettled(
      csrs.map(({ csrPem }) =>
        enrollment.enroll({
          joinToken: token,
          csrPem,
          hostname: 'h',
          labels: {},
          agentVersion: '1',
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === 'rejected')
        assert.equal((r.reason as { code?: string }).code, 'unauthenticated');
    }
    assert.equal(await agentCount(), before + 1, 'the losers left no agent rows');
    const [agent] = await h.dataSource.query<{ labels: Record<string, string> }[]>(
      'SELECT labels FROM edge_agents WHERE agent_id = $1',
      [won[0]?.status === 'fulfilled' ? won[0].value.agentId : ''],
    );
    assert.deepEqual(agent?.labels, { site: 'lab' });
  });

  it('refuses reused, expired and revoked tokens over gRPC, and a bad CSR does not burn a token', async () => {
    const reused = await h.tokens.create({ createdBy: 'test' });
    await enrollFakeAgent(h.address, h.ca.certificatePem, reused.token);
    await assert.rejects(enrollFakeAgent(h.address, h.ca.certificatePem, reused.token), {
      code: 'unauthenticated',
    });

    const expired = await h.tokens.create({ createdBy: 'test' });
    await h.dataSource.query(
      `UPDATE join_tokens SET expires_at = now() - interval '1 second' WHERE token_id = $1`,
      [expired.info.tokenId],
    );
    await assert.rejects(enrollFakeAgent(h.address, h.ca.certificatePem, expired.token), {
      code: 'unauthenticated',
    });

    const revoked = await h.tokens.create({ createdBy: 'test' });
    await h.tokens.revoke(revoked.info.tokenId);
    await assert.rejects(enrollFakeAgent(h.address, h.ca.certificatePem, revoked.token), {
      code: 'unauthenticated',
    });

    const fresh = await h.tokens.create({ createdBy: 'test' });
    const client = agentClient(h.address, h.ca.certificatePem);
    try {
      await assert.rejects(client.enroll({ joinToken: fresh.token, csrPem: 'not a csr' }), {
        code: 'bad_parameter',
        message: /csr_pem/,
      });
    } finally {
      client.close();
    }
    await enrollFakeAgent(h.address, h.ca.certificatePem, fresh.token);
  });

  it('issues a short-lived client certificate with the agent identity and a renewal time near half-life', async () => {
    const { token } = await h.tokens.create({ createdBy: 'test' });
    const { csrPem, keyPem } = await makeCsr();
    const client = agentClient(h.address, h.ca.certificatePem);
    const response = await client
      .enroll({ joinToken: token, csrPem, hostname: 'h1', agentVersion: '1' })
      .finally(() => client.close());
    const notAfter = Number(response.notAfter?.seconds) * 1000;
    const renewAfter = Number(response.renewAfter?.seconds) * 1000;
    const ttl = h.config.agentService.agentCertTtlSeconds * 1000;
    assert.ok(Math.abs(notAfter - Date.now() - ttl) < 60_000);
    assert.ok(Math.abs(renewAfter - Date.now() - ttl / 2) < 60_000);
    assert.equal(response.caPem, h.ca.certificatePem);
    const [row] = await h.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM agent_certificates WHERE agent_id = $1 AND revoked_at IS NULL',
      [response.agentId],
    );
    assert.equal(row?.n, 1);

    // RenewCertificate authenticates with the current certificate and keeps the identity.
    const renewing = agentClient(h.address, h.ca.certificatePem, {
      keyPem,
      certPem: response.certificatePem,
    });
    const next = await makeCsr();
    const renewed = await renewing
      .renewCertificate({ csrPem: next.csrPem })
      .finally(() => renewing.close());
    assert.equal(renewed.agentId, response.agentId);
    assert.notEqual(renewed.certificatePem, response.certificatePem);

    // Without a client certificate, RenewCertificate is refused.
    const anonymous = agentClient(h.address, h.ca.certificatePem);
    await assert
      .rejects(anonymous.renewCertificate({ csrPem: next.csrPem }), { code: 'unauthenticated' })
      .finally(() => anonymous.close());
  });

  it('Connect: Welcome after Hello, and presence online then offline', async () => {
    const agent = await h.connectAgent();
    const [online] = await h.dataSource.query<
      { status: string; connected_replica: string | null; last_seen_at: Date | null }[]
    >('SELECT status, connected_replica, last_seen_at FROM edge_agents WHERE agent_id = $1', [
      agent.agentId,
    ]);
    assert.equal(online?.status, 'online');
    assert.ok(online.connected_replica);
    assert.ok(online.last_seen_at);
    agent.disconnect();
    await waitUntil(async () => {
      const [row] = await h.dataSource.query<{ status: string }[]>(
        'SELECT status FROM edge_agents WHERE agent_id = $1',
        [agent.agentId],
      );
      return row?.status === 'offline';
    });
  });

  it('Connect refuses a certificate from another CA', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tmcp-foreign-ca-'));
    try {
      const foreign = await CertificateAuthority.loadOrCreate(dir);
      const { csrPem, keyPem } = await makeCsr();
      const genuine = await h.connectAgent(); // a real agent id, forged by the foreign CA below
      const cert = await foreign.signAgentCsr(csrPem, genuine.agentId, 3600);
      const impostor = new FakeAgent(
        { agentId: genuine.agentId, keyPem, certPem: cert.pem, caPem: h.ca.certificatePem },
        h.address,
      );
      // TLS does not verify it against our CA, so the call arrives without a client certificate.
      await assert.rejects(impostor.connect(), { code: 'unauthenticated' });
      impostor.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Connect refuses a message claiming another agent identity, and a first message that is not Hello', async () => {
    const a = await h.connectAgent();
    const b = await h.connectAgent();
    b.disconnect();
    const liar = new FakeAgent(a.identity, h.address);
    await assert.rejects(liar.connect({}, b.agentId), {
      code: 'access_denied',
      message: /does not match/,
    });
    liar.close();

    // Mid-stream: a heartbeat in another agent's name ends the stream.
    await a.send({ case: 'heartbeat', value: {} }, b.agentId);
    await assert.rejects(a.closed, { code: 'access_denied' });

    const rude = new FakeAgent(a.identity, h.address);
    const stream = (rude as unknown as { client: ReturnType<typeof agentClient> }).client.connect();
    await stream.send({
      agentId: a.agentId,
      messageId: 'x',
      body: { case: 'heartbeat', value: {} },
    });
    await assert.rejects(
      (async () => {
        for await (const _ of stream.responses) {
          // nothing is expected before the error
        }
      })(),
      { code: 'bad_parameter', message: /first message/ },
    );
    rude.close();
  });

  it('a draining agent is told so again when it reconnects', async () => {
    const agent = await h.connectAgent();
    agent.disconnect();
    // Drained while away (or by a replica that does not hold its stream).
    await h.dataSource.query("UPDATE edge_agents SET status = 'draining' WHERE agent_id = $1", [
      agent.agentId,
    ]);
    const again = new FakeAgent(agent.identity, h.address);
    try {
      await again.connect();
      const drain = await Promise.race([
        again.next((m) => m.body.case === 'drain'),
        new Promise<never>((_resolve, reject) =>
          setTimeout(() => reject(new Error('no Drain after reconnecting')), 15_000).unref(),
        ),
      ]);
      assert.match(drain.commandId, /^drain-/);
      const [row] = await h.dataSource.query<{ status: string }[]>(
        'SELECT status FROM edge_agents WHERE agent_id = $1',
        [agent.agentId],
      );
      assert.equal(row?.status, 'draining');
    } finally {
      again.close();
    }
  });

  it('revoking an agent closes its open stream at once and refuses it afterwards', async () => {
    const agent = await h.connectAgent();
    const { agent: revoked, notified } = await h.app
      .get(AgentsService)
      .revoke(agent.agentId, { actor: 'admin', reason: 'host lost' });
    assert.equal(notified, true, 'this replica held the stream');
    assert.ok(revoked.revokedAt instanceof Date);
    assert.equal(revoked.certNotAfter, null);
    await assert.rejects(agent.closed, { code: 'access_denied', message: /revoked by admin/ });
    await waitUntil(async () => !(await h.app.get(AgentsService).get(agent.agentId)).connected);
    const again = new FakeAgent(agent.identity, h.address);
    await assert.rejects(again.connect(), { code: 'access_denied', message: /revoked/ });
    again.close();
    // Nor can it renew its way back.
    const renewing = agentClient(h.address, h.ca.certificatePem, agent.identity);
    const next = await makeCsr();
    await assert
      .rejects(renewing.renewCertificate({ csrPem: next.csrPem }), { code: 'access_denied' })
      .finally(() => renewing.close());
  });

  it('a stream whose certificate was revoked elsewhere ends at its next heartbeat', async () => {
    const agent = await h.connectAgent();
    // As another replica would: the certificates are revoked, but this replica is not told.
    await h.app.get(EdgeAgentsRepository).revokeCertificates(agent.agentId);
    await agent.heartbeat();
    await assert.rejects(agent.closed, {
      code: 'access_denied',
      message: /revoked or has expired/,
    });
  });

  it('a stream whose certificate has expired ends at its next heartbeat', async () => {
    const agent = await h.connectAgent();
    await h.dataSource.query(
      "UPDATE agent_certificates SET not_after = now() - interval '1 second' WHERE agent_id = $1",
      [agent.agentId],
    );
    await agent.heartbeat();
    await assert.rejects(agent.closed, { code: 'access_denied', message: /expired/ });
  });

  it('renewal revokes the certificate it replaces, and the stream opened with it stays up', async () => {
    const agent = await h.connectAgent();
    const renewing = agentClient(h.address, h.ca.certificatePem, agent.identity);
    const next = await makeCsr();
    const renewed = await renewing
      .renewCertificate({ csrPem: next.csrPem })
      .finally(() => renewing.close());
    const rows = await h.dataSource.query<{ revoked: boolean }[]>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM agent_certificates WHERE agent_id = $1 ORDER BY created_at',
      [agent.agentId],
    );
    assert.deepEqual(
      rows.map((r) => r.revoked),
      [true, false],
    );
    // The open stream survives a heartbeat (the agent holds a valid, renewed certificate): the
    // heartbeat is recorded (after the certificate check) and the stream stays up.
    const lastSeen = async (): Promise<number> =>
      (await h.app.get(AgentsService).get(agent.agentId)).lastSeenAt?.getTime() ?? 0;
    const before = await lastSeen();
    await agent.heartbeat();
    await waitUntil(async () => (await lastSeen()) > before);
    const details = await h.app.get(AgentsService).get(agent.agentId);
    assert.equal(details.connected, true);
    assert.equal(details.revokedAt, null);
    // ...but the old certificate cannot open a new one, while the new one can.
    const old = new FakeAgent(agent.identity, h.address);
    await assert.rejects(old.connect(), { code: 'access_denied', message: /revoked/ });
    old.close();
    agent.close();
    const fresh = new FakeAgent(
      { ...agent.identity, keyPem: next.keyPem, certPem: renewed.certificatePem },
      h.address,
    );
    try {
      await fresh.connect();
    } finally {
      fresh.close();
    }
  });
});
