// How every long-running tsh command ends: SIGINT/SIGTERM → close everything, exit 0 (§3.7);
// TELEPORT_SIM_CRASH_AFTER_MS → close everything, fail with exit 1.
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';

export async function untilStopped(ctx: SimContext, cleanup: () => Promise<void>): Promise<number> {
  const crashAfter = ctx.faults.crashAfterMs;
  let timer: NodeJS.Timeout | undefined;
  const crashed = new Promise<'crash'>((resolve) => {
    if (crashAfter !== undefined) timer = setTimeout(() => resolve('crash'), crashAfter);
  });
  const flusher = setInterval(() => void ctx.audit.flush().catch(() => undefined), 1000);
  const outcome = await Promise.race([ctx.io.signal.then(() => 'signal' as const), crashed]);
  if (timer) clearTimeout(timer);
  clearInterval(flusher);
  await cleanup();
  if (outcome === 'crash') {
    throw new TeleportError(
      'unreachable',
      'connection to the Teleport Proxy Service was lost: read tcp: connection reset by peer',
    );
  }
  return 0;
}
