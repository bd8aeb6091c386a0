// Where the real binaries live, from this workspace's compiled files (test/dist/support/…).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
);

/** tmcp-server; TMCP_E2E_SERVER_BIN points elsewhere (e.g. a locally wired build). */
export function serverBin(): string {
  return (
    process.env.TMCP_E2E_SERVER_BIN ??
    path.join(REPO_ROOT, 'apps', 'control-plane', 'bin', 'tmcp-server.js')
  );
}
