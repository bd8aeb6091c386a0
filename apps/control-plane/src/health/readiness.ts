// Pure readiness aggregation: run every check with its own deadline, report each outcome.
// A check that hangs (a half-open TCP connection) counts as failed instead of hanging /readyz.

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency is usable; rejects with a short, secret-free reason. */
  run(): Promise<void>;
}

export interface CheckOutcome {
  status: 'ok' | 'failed';
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, CheckOutcome>;
}

export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<ReadinessReport> {
  const outcomes = await Promise.all(
    checks.map(async (check) => [check.name, await runWithDeadline(check, timeoutMs)] as const),
  );
  return {
    status: outcomes.every(([, outcome]) => outcome.status === 'ok') ? 'ready' : 'not_ready',
    checks: Object.fromEntries(outcomes),
  };
}

async function runWithDeadline(check: ReadinessCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'failed', error: `timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const work = check.run().then(
    (): CheckOutcome => ({ status: 'ok' }),
    (error: unknown): CheckOutcome => ({ status: 'failed', error: reasonOf(error) }),
  );
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error && error.message !== '' ? error.message : 'check failed';
}
