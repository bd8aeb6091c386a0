/** Injection token of the loaded CertificateAuthority (created at first start from agentService.caDir). */
export const AGENT_CA = Symbol('AGENT_CA');
