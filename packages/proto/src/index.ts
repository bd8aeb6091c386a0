// @tmcp/proto: the generated protobuf-es messages and services of the tmcp wire contract
// (proto/tmcp/**), and the grpc-js adapter that serves and calls them. Message names are unique
// across the agent and admin packages (tsc reports a clash as an ambiguous re-export).
export * from './gen/tmcp/agent/v1/agent_pb.js';
export * from './gen/tmcp/admin/v1/admin_pb.js';
export * from './grpc/index.js';
export * from './lease-names.js';
