// Stable ports across demo runs: the client configurations printed last time, the simulated
// cluster's database and app addresses and the agent's server address keep working when the
// previous ports are still free. <data-dir>/ports.json remembers them.
import fs from 'node:fs';
import net from 'node:net';

export function readPorts(file) {
  try {
    const ports = JSON.parse(fs.readFileSync(file, 'utf8'));
    return ports && typeof ports === 'object' ? ports : {};
  } catch {
    return {};
  }
}

export function writePorts(file, ports) {
  fs.writeFileSync(file, `${JSON.stringify(ports, null, 2)}\n`, { mode: 0o600 });
}

/** `preferred` when it can be bound on 127.0.0.1 now, else a free port the system picks. */
export async function portOrFree(preferred) {
  if (Number.isInteger(preferred) && preferred > 0 && (await canBind(preferred))) return preferred;
  return freePort();
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canBind(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
