export { main, buildProgram, errorLine, USAGE_ERROR_EXIT_CODE, FAILURE_EXIT_CODE } from './main.js';
export { AgentDaemon, AGENT_CAPABILITIES } from './agent-daemon.js';
