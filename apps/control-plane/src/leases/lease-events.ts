// "Lease X changed" notifications, so `start_proxy` can wait for `active` without polling hard:
// the replica that records a change publishes it on a Redis channel; a waiter on any replica
// re-reads Postgres when told (and at a slow fallback interval, in case a message was missed).
import { EventEmitter } from 'node:events';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import { LOGGER } from '../logging/logger.token.js';
import { closeRedis } from '../redis/redis-client.js';
import { REDIS } from '../redis/redis.token.js';

/** The local event every change is also emitted on (a lease id is never this string). */
const ANY_LEASE = '*';

@Injectable()
export class LeaseEvents implements BeforeApplicationShutdown {
  private readonly local = new EventEmitter();
  private readonly channel: string;
  private subscriber: Redis | undefined;
  private subscribing: Promise<void> | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVER_CONFIG) config: Pick<ServerConfig, 'redis'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.local.setMaxListeners(0);
    // Channels are not prefixed by ioredis' keyPrefix: do it here so deployments stay apart.
    this.channel = `${config.redis.keyPrefix.replace(/:+$/, '')}:lease-events`;
  }

  /** Tells every waiter (on every replica) that the lease changed. Best effort. */
  notify(leaseId: string): void {
    this.emitLocal(leaseId);
    this.redis.publish(this.channel, leaseId).catch((error: unknown) => {
      this.logger.debug({ err: error, lease_id: leaseId }, 'lease event not published');
    });
  }

  /**
   * Calls `check` now, on every change of the lease and every `fallbackMs`, until it returns a
   * value, `timeoutMs` passes (undefined) or `signal` aborts (throws its reason).
   */
  async waitFor<T>(
    leaseId: string,
    check: () => Promise<T | undefined>,
    options: { timeoutMs: number; fallbackMs?: number; signal?: AbortSignal },
  ): Promise<T | undefined> {
    await this.subscribe().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'lease events unavailable; waiting by polling');
    });
    return new Promise<T | undefined>((resolve, reject) => {
      let done = false;
      let running = false;
      let again = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timeout);
        clearInterval(fallback);
        this.local.off(leaseId, poke);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const poke = (): void => {
        if (done) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        check().then(
          (value) => {
            running = false;
            if (value !== undefined) finish(() => resolve(value));
            else if (again) {
              again = false;
              poke();
            }
          },
          (error: unknown) => finish(() => reject(toError(error))),
        );
      };
      const onAbort = (): void => finish(() => reject(toError(options.signal?.reason)));
      const timeout = setTimeout(() => finish(() => resolve(undefined)), options.timeoutMs);
      const fallback = setInterval(poke, options.fallbackMs ?? 1_000);
      if (options.signal?.aborted === true) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.local.on(leaseId, poke);
      poke();
    });
  }

  /**
   * Calls `listener` with the id of every lease that changes (on any replica) until the returned
   * function is called. Best effort like notify(): watchers also poll.
   */
  async onAnyChange(listener: (leaseId: string) => void): Promise<() => void> {
    await this.subscribe().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'lease events unavailable; watching by polling');
    });
    this.local.on(ANY_LEASE, listener);
    return () => this.local.off(ANY_LEASE, listener);
  }

  private emitLocal(leaseId: string): void {
    this.local.emit(leaseId);
    this.local.emit(ANY_LEASE, leaseId);
  }

  private subscribe(): Promise<void> {
    this.subscribing ??= (async () => {
      const subscriber = this.redis.duplicate({ keyPrefix: '' });
      subscriber.on('error', (error: unknown) =>
        this.logger.debug({ err: error }, 'lease events subscriber error'),
      );
      subscriber.on('message', (_channel: string, leaseId: string) => this.emitLocal(leaseId));
      this.subscriber = subscriber;
      await subscriber.subscribe(this.channel);
    })();
    return this.subscribing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.subscriber !== undefined) await closeRedis(this.subscriber);
    this.subscriber = undefined;
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new AppError('cancelled', 'the wait was cancelled');
}
