// The supervisor's rules as pure functions: what a command does to a lease given its generation,
// when and why a lease is killed (deadline or disconnect grace), and what happens to a leftover
// process found after a restart. No clock, no processes: inputs in, decision out.

export type { LeaseKindName } from '@tmcp/proto';

/** What the supervisor knows of a running lease, as far as these rules need it. */
export interface LeaseVersion {
  generation: number;
  /** Identifies what runs (kind, cluster, target, listen address): equal keys, same process. */
  specKey: string;
  deadline: number;
}

export type StartDecision =
  /** Nothing runs for this lease: spawn it. */
  | { action: 'spawn' }
  /** The same generation runs already (a repeated command): acknowledge, report it again. */
  | { action: 'report-again' }
  /** A newer generation of the same spec: keep the process, take the generation and deadline. */
  | { action: 'adopt-generation' }
  /** A newer generation with a different spec: stop the old process, then spawn. */
  | { action: 'replace' }
  /** An older generation than the one running: ignored. */
  | { action: 'ignore-stale'; running: number }
  | { action: 'refuse-draining' }
  | { action: 'refuse-expired' };

export function decideStart(
  running: LeaseVersion | undefined,
  incoming: LeaseVersion,
  context: { draining: boolean; now: number },
): StartDecision {
  if (running !== undefined) {
    if (incoming.generation < running.generation)
      return { action: 'ignore-stale', running: running.generation };
    if (incoming.generation === running.generation) return { action: 'report-again' };
    if (incoming.deadline <= context.now) return { action: 'refuse-expired' };
    return incoming.specKey === running.specKey
      ? { action: 'adopt-generation' }
      : { action: 'replace' };
  }
  if (context.draining) return { action: 'refuse-draining' };
  if (incoming.deadline <= context.now) return { action: 'refuse-expired' };
  return { action: 'spawn' };
}

export type StopDecision =
  | { action: 'stop' }
  /** Nothing runs for this lease: stopping is already done. */
  | { action: 'already-stopped' }
  | { action: 'ignore-stale'; running: number };

/** A stop names the generation it means; one for an older generation than the running one is ignored. */
export function decideStop(running: LeaseVersion | undefined, generation: number): StopDecision {
  if (running === undefined) return { action: 'already-stopped' };
  if (generation < running.generation)
    return { action: 'ignore-stale', running: running.generation };
  return { action: 'stop' };
}

export type ExtendDecision =
  | { action: 'extend' }
  /** The same generation and deadline: a repeated command. */
  | { action: 'unchanged' }
  | { action: 'ignore-stale'; running: number }
  | { action: 'unknown-lease' }
  | { action: 'refuse-expired' };

export function decideExtend(
  running: LeaseVersion | undefined,
  generation: number,
  deadline: number,
  now: number,
): ExtendDecision {
  if (running === undefined) return { action: 'unknown-lease' };
  if (generation < running.generation)
    return { action: 'ignore-stale', running: running.generation };
  if (generation === running.generation) {
    return deadline === running.deadline
      ? { action: 'unchanged' }
      : { action: 'ignore-stale', running: running.generation };
  }
  if (deadline <= now) return { action: 'refuse-expired' };
  return { action: 'extend' };
}

export type KillReason = 'expired' | 'disconnect_grace';

/**
 * When the agent kills a lease on its own: at its deadline, or — while the control plane is
 * unreachable — at min(deadline, disconnected since + grace).
 */
export function killPlan(
  deadline: number,
  disconnectedSince: number | undefined,
  graceMs: number,
): { at: number; reason: KillReason } {
  if (disconnectedSince !== undefined && disconnectedSince + graceMs < deadline) {
    return { at: disconnectedSince + graceMs, reason: 'disconnect_grace' };
  }
  return { at: deadline, reason: 'expired' };
}

export type LeftoverPolicyName = 'kill-expired' | 'kill-all';

/** What the agent found about a leftover process recorded in its state file. */
export interface LeftoverProbe {
  /** The recorded leader pid: running with the recorded start time, another process, or gone. */
  leader: 'same-process' | 'other-process' | 'gone' | 'unverifiable';
  /** Whether any process is still in the recorded process group. */
  groupAlive: boolean;
}

export type LeftoverDecision =
  | { action: 'adopt' }
  | { action: 'kill'; reason: 'deadline_passed' | 'not_adoptable'; message: string }
  | { action: 'forget'; reason: 'process_gone' | 'not_adoptable'; message: string };

export function decideLeftover(
  probe: LeftoverProbe,
  deadline: number,
  now: number,
  policy: LeftoverPolicyName,
): LeftoverDecision {
  if (probe.leader === 'other-process') {
    // The pid was recycled: the process is someone else's now; never signal it.
    return {
      action: 'forget',
      reason: 'process_gone',
      message: 'the recorded pid now belongs to another process',
    };
  }
  if (probe.leader === 'unverifiable') {
    return {
      action: 'forget',
      reason: 'not_adoptable',
      message: 'the process could not be verified (no /proc start time); left alone',
    };
  }
  if (!probe.groupAlive) {
    return { action: 'forget', reason: 'process_gone', message: 'the process had already exited' };
  }
  if (deadline <= now) {
    return {
      action: 'kill',
      reason: 'deadline_passed',
      message: 'the lease deadline passed while the agent was down',
    };
  }
  if (policy === 'kill-all') {
    return { action: 'kill', reason: 'not_adoptable', message: 'leftover_policy is kill-all' };
  }
  if (probe.leader === 'gone') {
    // The tsh leader died but something it started still runs: nothing to supervise, so kill it.
    return {
      action: 'kill',
      reason: 'not_adoptable',
      message: 'the tsh process had exited but left processes behind',
    };
  }
  return { action: 'adopt' };
}
