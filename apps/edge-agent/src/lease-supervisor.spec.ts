// The supervisor's timing rules with a hand-driven clock and fake processes: the local deadline,
// its re-arming by ExtendLease, and the disconnect grace that a reconnect cancels.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { create } from '@bufbuild/protobuf';
import { LeaseExitReason, LeaseKind, LeaseSpecSchema } from '@tmcp/proto';
import type { ProcessExit } from '@tmcp/teleport';
import { pino } from 'pino';
import type { Clock, TimerHandle } from './clock.js';
import { LeaseLogBatcher } from './lease-log-batcher.js';
import type { LeaseProcess, LeaseProcessLauncher } from './lease-process-launcher.js';
import type { PersistedLease } from './lease-state-store.js';
import { LeaseSupervisor, type LeaseReport } from './lease-supervisor.js';

class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.time + Math.max(0, ms), fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
  /** Moves time forward, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= end)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.time = due.at;
      due.fn();
      await new Promise((r) => setImmediate(r));
    }
    this.time = end;
  }
}

class FakeProcess implements LeaseProcess {
  static next = 100;
  readonly pid = FakeProcess.next++;
  readonly pgid = this.pid;
  readonly startTime = '1';
  readonly ready = Promise.resolve({ listenAddr: '127.0.0.1:5000' });
  readonly stdin = undefined;
  readonly stdout = undefined;
  signals: string[] = [];
  private exit!: (e: ProcessExit) => void;
  readonly exited = new Promise<ProcessExit>((r) => (this.exit = r));
  stop(): Promise<ProcessExit> {
    this.signals.push('SIGTERM');
    this.exit({ code: 0, signal: null });
    return this.exited;
  }
}

/** Process groups of leftovers from before a restart: pgid → alive (start time always "1"). */
type Groups = Map<number, boolean>;

function setup(leftovers: PersistedLease[] = [], groups: Groups = new Map()) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const processes: FakeProcess[] = [];
  const released: string[] = [];
  const reports: LeaseReport[] = [];
  const saved: PersistedLease[][] = [];
  const launcher: LeaseProcessLauncher = {
    launch: () => {
      const p = new FakeProcess();
      processes.push(p);
      return Promise.resolve(p);
    },
    release: ({ leaseId }) => (released.push(leaseId), Promise.resolve()),
  };
  const sut = new LeaseSupervisor(
    {
      clusters: [{ name: 'main', proxy: 'teleport.example.com:443' }],
      stopGraceMs: 1_000,
      disconnectGraceMs: 60_000,
      leftoverPolicy: 'kill-expired',
    },
    {
      clock,
      launcher,
      store: {
        load: () => Promise.resolve(leftovers),
        save: (l) => (saved.push([...l]), Promise.resolve()),
      },
      inspector: {
        canVerify: true,
        startTime: (pid) => (groups.get(pid) === true ? '1' : undefined),
        groupAlive: (pgid) => groups.get(pgid) === true,
        signalGroup: (pgid) => {
          if (groups.get(pgid) !== true) return false;
          groups.set(pgid, false);
          return true;
        },
      },
      logs: new LeaseLogBatcher({ maxBytes: 1024, bufferLines: 10 }),
      reports: { report: (r) => reports.push(r), mcpOutput: () => undefined },
      logger: pino({ level: 'silent' }),
    },
  );
  const spec = (leaseId: string, ttlMs: number, generation = 1) =>
    create(LeaseSpecSchema, {
      leaseId,
      generation,
      kind: LeaseKind.PROXY_DB,
      target: { case: 'db', value: { db: 'pg' } },
      expiresAt: timestampFromMs(clock.now() + ttlMs),
    });
  const exitReason = (leaseId: string) => {
    const r = reports.find((x) => x.case === 'leaseExited' && x.value.leaseId === leaseId);
    return r?.case === 'leaseExited' ? r.value.reason : undefined;
  };
  return { clock, processes, reports, saved, released, sut, spec, exitReason };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('LeaseSupervisor', () => {
  it('stops a lease at its deadline, not before', async () => {
    const { clock, sut, spec, exitReason, saved } = setup();
    sut.connectionUp();
    assert.equal(sut.startLease(spec('l1', 10_000)).ok, true);
    await settle();
    await clock.advance(9_999);
    assert.equal(exitReason('l1'), undefined);
    assert.equal(saved.at(-1)?.[0]?.lease_id, 'l1');
    await clock.advance(1);
    await settle();
    assert.equal(exitReason('l1'), LeaseExitReason.EXPIRED);
    assert.deepEqual(saved.at(-1), []);
  });

  it('re-arms the deadline on ExtendLease with a newer generation', async () => {
    const { clock, sut, spec, exitReason } = setup();
    sut.connectionUp();
    sut.startLease(spec('l1', 10_000));
    await settle();
    assert.equal(sut.extendLease('l1', 2, clock.now() + 20_000).ok, true);
    await clock.advance(15_000);
    assert.equal(exitReason('l1'), undefined);
    await clock.advance(5_000);
    await settle();
    assert.equal(exitReason('l1'), LeaseExitReason.EXPIRED);
  });

  it('kills after the disconnect grace while unreachable, unless the link comes back first', async () => {
    const { clock, sut, spec, exitReason } = setup();
    sut.connectionUp(30_000);
    sut.startLease(spec('kept', 3_600_000));
    sut.startLease(spec('cut', 3_600_000));
    await settle();
    sut.connectionDown();
    await clock.advance(29_000);
    sut.connectionUp(30_000); // back in time: "kept" survives
    sut.connectionDown();
    await clock.advance(29_000);
    assert.equal(exitReason('kept'), undefined);
    await clock.advance(1_000);
    await settle();
    assert.equal(exitReason('kept'), LeaseExitReason.DISCONNECT_GRACE);
    assert.equal(exitReason('cut'), LeaseExitReason.DISCONNECT_GRACE);
  });

  it("a longer disconnect grace from the control plane does not override the agent's own", async () => {
    const { clock, sut, spec, exitReason } = setup(); // the agent's own grace: 60 s
    sut.connectionUp(600_000);
    sut.startLease(spec('l1', 3_600_000));
    await settle();
    sut.connectionDown();
    await clock.advance(59_999);
    assert.equal(exitReason('l1'), undefined);
    await clock.advance(1);
    await settle();
    assert.equal(exitReason('l1'), LeaseExitReason.DISCONNECT_GRACE);
  });

  it('counts as disconnected until the first Welcome', async () => {
    const { clock, sut, spec, exitReason } = setup();
    sut.startLease(spec('l1', 3_600_000));
    await settle();
    await clock.advance(60_000);
    await settle();
    assert.equal(exitReason('l1'), LeaseExitReason.DISCONNECT_GRACE);
  });

  it('removes the TELEPORT_HOME of leftovers once their process is gone, not before', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const leftover = (leaseId: string, pid: number, deadline: number, startTime?: string) => ({
      lease_id: leaseId,
      generation: 1,
      pid,
      pgid: pid,
      ...(startTime === undefined ? {} : { start_time: startTime }),
      deadline: new Date(deadline).toISOString(),
      listen_addr: '127.0.0.1:5000',
      kind: 'proxy_db',
      cluster: 'main',
    });
    const groups: Groups = new Map([
      [501, true],
      [502, false],
      [503, true],
      [504, true],
    ]);
    const { clock, released, sut, exitReason } = setup(
      [
        leftover('killed', 501, now - 1_000, '1'), // deadline passed while down: killed
        leftover('gone', 502, now + 60_000, '1'), // exited while down
        leftover('unverified', 503, now + 60_000), // cannot be verified: left alone
        leftover('adopted', 504, now + 10_000, '1'), // re-adopted until its deadline
      ],
      groups,
    );
    await sut.recoverLeftovers();
    assert.deepEqual(released.sort(), ['gone', 'killed']);
    sut.connectionUp();
    await clock.advance(10_000);
    await settle();
    assert.equal(exitReason('adopted'), LeaseExitReason.EXPIRED);
    assert.equal(groups.get(504), false);
    assert.deepEqual(released.sort(), ['adopted', 'gone', 'killed']);
  });

  it('shuts down every lease with AGENT_SHUTDOWN and refuses new ones', async () => {
    const { sut, spec, exitReason } = setup();
    sut.connectionUp();
    sut.startLease(spec('l1', 60_000));
    await settle();
    assert.equal(await sut.shutdown(), 1);
    assert.equal(exitReason('l1'), LeaseExitReason.AGENT_SHUTDOWN);
    assert.equal(sut.startLease(spec('l2', 60_000)).errorCode, 'precondition_failed');
  });
});
