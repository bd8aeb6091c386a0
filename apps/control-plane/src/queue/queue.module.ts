import { Global, Module } from '@nestjs/common';
import { BullmqConnections } from './bullmq-connections.js';

/** BullMQ connections shared by the lease dispatcher, the stream registry and the reaper. */
@Global()
@Module({ providers: [BullmqConnections], exports: [BullmqConnections] })
export class QueueModule {}
