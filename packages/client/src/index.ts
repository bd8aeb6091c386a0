// @tmcp/client: typed gRPC clients of the tmcp services (DESIGN.md §3.6). The agent part:
// AgentService over (mutual) TLS with CA file or pin, keepalive and deadlines, and the agent's
// key and CSR generation; the admin client of tmcpctl. Test support (a throwaway CA) is under `@tmcp/client/testing`.
export {
  AGENT_CLIENT_DEFAULTS,
  agentChannelCredentials,
  agentChannelOptions,
  createAgentServiceClient,
  type AgentServiceClient,
  type AgentServiceClientOptions,
} from './agent-service-client.js';
export { generateAgentKeyAndCsr, type AgentKeyAndCsr } from './agent-key-and-csr.js';
export {
  caPinOf,
  chainMatchesPin,
  derToPem,
  fetchPinnedCa,
  normalizeCaPin,
  peerChain,
  splitHostPort,
  type FetchPinnedCaOptions,
} from './ca-pin.js';
export { silenceGrpcIpServerNameWarning } from './grpc-ip-server-name-warning.js';
// The admin part (tmcpctl).
export * from './admin/index.js';
