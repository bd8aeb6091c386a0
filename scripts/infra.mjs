// Makes sure the Postgres and Redis that tests use are reachable; starts the machine's own
// services when they are not (as CI does on a fresh machine). Tests never depend on state left
// by another test: each creates its own database or schema and its own queue prefix.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';

export const TEST_DATABASE_URL =
  process.env.TMCP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TMCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(host, port, what) {
  for (let i = 0; i < 60; i++) {
    if (await reachable(host, port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not come up on ${host}:${port}`);
}

export async function ensureInfra() {
  if (process.env.TMCP_TEST_DATABASE_URL === undefined && !(await reachable('127.0.0.1', 5432))) {
    if (!existsSync('/etc/postgresql'))
      throw new Error(
        'PostgreSQL is not running on 127.0.0.1:5432 and is not installed; set TMCP_TEST_DATABASE_URL',
      );
    const version = readdirSync('/etc/postgresql')[0];
    console.error(`starting PostgreSQL ${version}`);
    execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`, { stdio: 'inherit' });
    await waitFor('127.0.0.1', 5432, 'PostgreSQL');
  }
  if (process.env.TMCP_TEST_REDIS_URL === undefined && !(await reachable('127.0.0.1', 6379))) {
    console.error('starting redis-server');
    execSync(
      'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
      { stdio: 'inherit' },
    );
    await waitFor('127.0.0.1', 6379, 'Redis');
  }
}
