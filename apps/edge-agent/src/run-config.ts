// The configuration of `tmcp-agent run`: the config file and TMCP_* overrides, where the server
// address may be left out once the agent is enrolled — `enroll --server` stored it in agent.json.
// Precedence: --server (TMCP_SERVER__ADDRESS) > server.address in the file > agent.json.
import { ConfigError, loadAgentConfig, type AgentConfig, type LoadOptions } from '@tmcp/config';
import { EnrollmentStore } from './enrollment-store.js';

const ADDRESS_PATH = 'server.address';
/** Parses the rest of the file while the address is unknown; never used to connect. */
const STAND_IN_ADDRESS = 'enrolled-server.invalid:1';

export async function loadRunConfig(options: LoadOptions): Promise<AgentConfig> {
  try {
    return loadAgentConfig(options);
  } catch (err) {
    if (!(err instanceof ConfigError) || !err.issues.some((i) => i.path === ADDRESS_PATH)) {
      throw err;
    }
    let config: AgentConfig;
    try {
      config = loadAgentConfig({
        ...options,
        env: { ...(options.env ?? process.env), TMCP_SERVER__ADDRESS: STAND_IN_ADDRESS },
      });
    } catch {
      // Other problems as well: the first error lists all of them, the address included.
      throw err;
    }
    const store = new EnrollmentStore(config.dataDir);
    if (!(await store.exists())) {
      throw new ConfigError([
        {
          path: ADDRESS_PATH,
          message: `is required: give --server HOST:PORT or server.address, or enroll first (tmcp-agent enroll --server … stores the address in ${config.dataDir})`,
        },
      ]);
    }
    const { record } = await store.load();
    return { ...config, server: { ...config.server, address: record.server_address } };
  }
}
