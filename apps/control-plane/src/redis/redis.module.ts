import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { closeRedis } from './redis-client.js';
import { REDIS } from './redis.token.js';

/** Closes the shared client when the application shuts down. */
@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }
}

@Global()
@Module({})
export class RedisModule {
  /** The client is connected before the app is built, so a bad URL fails start-up clearly. */
  static forRoot(client: Redis): DynamicModule {
    return {
      module: RedisModule,
      providers: [{ provide: REDIS, useValue: client }, RedisShutdown],
      exports: [REDIS],
    };
  }
}
