/** Injection token of the shared ioredis client (BullMQ gets connections of its own). */
export const REDIS = Symbol('REDIS');
