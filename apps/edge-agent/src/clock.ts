// Time as an injectable dependency: the supervisor's deadlines and the link's timers read the
// clock and arm timers only through this, so unit tests can drive time by hand.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` after `ms` (clamped to ≥ 0); long delays are re-armed in steps. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

// setTimeout fires at once beyond 2^31-1 ms (~24.8 days): longer deadlines are chained.
const MAX_TIMEOUT_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    let timer: NodeJS.Timeout;
    const due = Date.now() + Math.max(0, ms);
    const arm = (): void => {
      const left = due - Date.now();
      timer = setTimeout(
        left > MAX_TIMEOUT_MS ? arm : fn,
        Math.min(Math.max(0, left), MAX_TIMEOUT_MS),
      );
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};
