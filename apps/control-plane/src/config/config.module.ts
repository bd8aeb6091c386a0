import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { CLOCK, systemClock } from '../common/clock.js';
import { SERVER_CONFIG } from './server-config.token.js';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: SERVER_CONFIG, useValue: config },
        { provide: CLOCK, useValue: systemClock },
      ],
      exports: [SERVER_CONFIG, CLOCK],
    };
  }
}
