// Byte-exact output of the real bin/tsh: `tsh mcp ls` (text, verbose, JSON) through the RBAC
// that computes each cell, and the banners of `tsh proxy kube|mcp|db` against TELEPORT.md.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { exitOf, SimHarness, waitForOutput } from '../testing/sim-harness.js';

describe('tsh mcp ls through the binary', () => {
  let h: SimHarness;
  let asGina: string[];
  before(async () => {
    h = new SimHarness();
    await h.run('tctl', ['rm', 'app/everything']);
    await h.run('tctl', ['rm', 'app/payments-mcp']);
    // The three kinds of Allowed Tools cell. Real RBAC cannot give two apps with the same
    // labels different tools (a deny of tools applies to every app), so unlike Teleport's
    // testdata goldens (a mocked checker) the apps differ by their env label.
    const app = (name: string, env: string): string =>
      `kind: app\nversion: v3\nmetadata: {name: ${name}, description: description, labels: {env: ${env}}}\n` +
      'spec: {uri: "mcp+stdio://", mcp: {command: test, args: [arg], run_as_host_user: test}}';
    const file = join(h.dir, 'goldens.yaml');
    writeFileSync(
      file,
      [
        app('deny-write', 'prod'),
        app('allow-read', 'dev'),
        app('no-access', 'staging'),
        'kind: role\nversion: v8\nmetadata: {name: golden-dev}\nspec: {allow: {app_labels: {env: dev}, mcp: {tools: ["read_*"]}}, deny: {mcp: {tools: ["write_*"]}}}',
        'kind: role\nversion: v8\nmetadata: {name: golden-prod}\nspec: {allow: {app_labels: {env: prod}, mcp: {tools: ["*"]}}}',
        'kind: role\nversion: v8\nmetadata: {name: golden-staging}\nspec: {allow: {app_labels: {env: staging}}}',
      ].join('\n---\n'),
    );
    assert.equal((await h.run('tctl', ['create', file])).code, 0);
    await h.run('tctl', ['users', 'add', 'gina', '--roles=golden-dev,golden-prod,golden-staging']);
    asGina = h.tshAs('gina');
  });
  after(async () => {
    await h.cleanup();
  });

  const mcpLs = async (...args: string[]): Promise<string> => {
    const r = await h.run('tsh', [...asGina, 'mcp', 'ls', ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout;
  };

  const WARNING =
    '\n[!] Warning: you do not have access to any tools on the MCP server.\n' +
    'Please contact your Teleport administrator to ensure your Teleport role has\n' +
    "appropriate 'allow.mcp.tools' set. For details on MCP access RBAC, see:\n" +
    'https://goteleport.com/docs/enroll-resources/mcp-access/rbac/\n';

  it('text: sorted by name, Allowed Tools cut at (80-16)/4 = 16, internal labels hidden', async () => {
    assert.equal(
      await mcpLs(),
      'Name       Description Type  Allowed Tools       Labels      \n' +
        '---------- ----------- ----- ------------------- ----------- \n' +
        'allow-read description stdio [read_*], except... env=dev     \n' +
        'deny-write description stdio [*], except: [wr... env=prod    \n' +
        'no-access  description stdio (none) [!]          env=staging \n' +
        WARNING,
    );
  });

  it('verbose: every label, command, args and the whole Allowed Tools cell', async () => {
    assert.equal(
      await mcpLs('-v'),
      'Name       Description Type  Labels                                         Command Args Allowed Tools               \n' +
        '---------- ----------- ----- ---------------------------------------------- ------- ---- --------------------------- \n' +
        'allow-read description stdio env=dev,teleport.internal/app-sub-kind=mcp     test    arg  [read_*], except: [write_*] \n' +
        'deny-write description stdio env=prod,teleport.internal/app-sub-kind=mcp    test    arg  [*], except: [write_*]      \n' +
        'no-access  description stdio env=staging,teleport.internal/app-sub-kind=mcp test    arg  (none) [!]                  \n' +
        WARNING,
    );
  });

  it('JSON: AppV3 without revision plus permissions, empty lists omitted, newline at the end', async () => {
    const entry = (name: string, env: string, tools: string): string =>
      `  {\n    "kind": "app",\n    "sub_kind": "mcp",\n    "version": "v3",\n    "metadata": {\n      "name": "${name}",\n      "description": "description",\n      "labels": {\n        "env": "${env}",\n        "teleport.internal/app-sub-kind": "mcp"\n      }\n    },\n    "spec": {\n      "uri": "mcp+stdio://",\n      "insecure_skip_verify": false,\n      "mcp": {\n        "command": "test",\n        "args": [\n          "arg"\n        ],\n        "run_as_host_user": "test"\n      }\n    },\n    "permissions": {\n      "mcp": {\n        "tools": {\n${tools}\n        }\n      }\n    }\n  }`;
    const list = (key: string, values: string[]): string =>
      `          "${key}": [\n${values.map((v) => `            "${v}"`).join(',\n')}\n          ]`;
    assert.equal(
      await mcpLs('--format=json'),
      '[\n' +
        [
          entry(
            'allow-read',
            'dev',
            `${list('allowed', ['read_*'])},\n${list('denied', ['write_*'])}`,
          ),
          entry('deny-write', 'prod', `${list('allowed', ['*'])},\n${list('denied', ['write_*'])}`),
          entry('no-access', 'staging', list('denied', ['write_*'])),
        ].join(',\n') +
        '\n]\n',
    );
  });
});

/** A port free right now, for the `--port` forms whose output names it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  child.kill('SIGTERM');
  assert.equal(await exitOf(child), 0);
}

describe('tsh proxy banners through the binary', () => {
  let h: SimHarness;
  before(() => {
    h = new SimHarness();
  });
  after(async () => {
    await h.cleanup();
  });

  it('tsh proxy kube: §3.3 banner, and the kubeconfig it names reaches the proxy', async () => {
    const port = await freePort();
    const child = h.spawn('tsh', [
      ...h.tshAs('alice'),
      'proxy',
      'kube',
      'dev-cluster',
      '-p',
      String(port),
    ]);
    const out = await waitForOutput(child, /kubectl version\n\n$/);
    const kubeconfig = join(
      h.dir,
      '.tsh/keys/teleport.example.com/alice-kube/teleport.example.com',
      `localproxy-${port}-kubeconfig`,
    );
    // TELEPORT.md's sample with this port and TELEPORT_HOME; the table lines keep the pad space
    // tabwriter prints after every cell (§0.2), which the sample trims.
    assert.equal(
      out,
      'Preparing the following Teleport Kubernetes clusters:\n' +
        'Teleport Cluster Name Kube Cluster Name \n' +
        '--------------------- ----------------- \n' +
        'teleport.example.com  dev-cluster       \n' +
        '\n' +
        `Started local proxy for Kubernetes on 127.0.0.1:${port}\n` +
        '\n' +
        'Use the following config for your Kubernetes applications. For example:\n' +
        `export KUBECONFIG=${kubeconfig}\n` +
        'kubectl version\n' +
        '\n',
    );
    const config = parse(readFileSync(kubeconfig, 'utf8')) as {
      kind: string;
      'current-context': string;
      clusters: { name: string; cluster: { server: string } }[];
      contexts: { name: string; context: { cluster: string } }[];
    };
    assert.equal(config.kind, 'Config');
    assert.equal(config['current-context'], 'teleport.example.com-dev-cluster');
    assert.deepEqual(
      config.contexts.map((c) => c.context.cluster),
      ['teleport.example.com-dev-cluster'],
    );
    const server = config.clusters[0]?.cluster.server ?? '';
    assert.equal(server, `http://127.0.0.1:${port}`);
    const version = (await (await fetch(`${server}/version`)).json()) as { major: string };
    assert.equal(version.major, '1');
    await stop(child);

    // Without --port the port is random and tsh says how to choose it.
    const random = h.spawn('tsh', [...h.tshAs('alice'), 'proxy', 'kube']);
    const hinted = await waitForOutput(random, /kubectl version\n\n$/);
    assert.match(
      hinted,
      /\nStarted local proxy for Kubernetes on 127\.0\.0\.1:\d+\nTo avoid port randomization, you can choose the listening port using the --port flag\.\n\nUse the following config/,
    );
    await stop(random);
  });

  it('tsh proxy mcp: the §1.6 line, then Streamable HTTP on /mcp', async () => {
    const port = await freePort();
    const child = h.spawn('tsh', [
      ...h.tshAs('alice'),
      'proxy',
      'mcp',
      'everything',
      '-p',
      String(port),
    ]);
    const out = await waitForOutput(child, /\n$/);
    assert.equal(out, `Proxying connections to everything on 127.0.0.1:${port}\n`);
    const res = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      }),
    });
    assert.equal(res.status, 200);
    const init = (await res.json()) as { id: number; result?: { serverInfo?: { name?: string } } };
    assert.equal(init.id, 1);
    assert.equal(typeof init.result?.serverInfo?.name, 'string');
    await stop(child);
  });

  it('tsh proxy db without --tunnel: the §3.1 dbProxyTpl banner', async () => {
    const child = h.spawn('tsh', [...h.tshAs('alice'), 'proxy', 'db', 'pg']);
    const out = await waitForOutput(child, /The target database name is "postgres"\.\n\n$/);
    const port = /^Started DB proxy on 127\.0\.0\.1:(\d+)\n/.exec(out)?.[1] ?? '';
    assert.notEqual(port, '');
    // TELEPORT.md's sample, word for word, with this port and TELEPORT_HOME (~/.tsh here).
    const sample =
      'Started DB proxy on 127.0.0.1:62652\n' +
      'To avoid port randomization, you can choose the listening port using the --port flag.\n' +
      '\n' +
      'Teleport Connect is a desktop app that can manage database proxies for you.\n' +
      'Learn more at https://goteleport.com/docs/connect-your-client/teleport-connect/#connecting-to-a-database\n' +
      '\n' +
      'Use the following credentials to connect to the pg proxy:\n' +
      '  ca_file=/home/alice/.tsh/keys/teleport.example.com/cas/teleport.example.com.pem\n' +
      '  cert_file=/home/alice/.tsh/keys/teleport.example.com/alice-db/teleport.example.com/pg-x509.pem\n' +
      '  key_file=/home/alice/.tsh/keys/teleport.example.com/alice\n' +
      '\n' +
      'Your database user is "alice". The target database name is "postgres".\n' +
      '\n';
    assert.equal(
      out,
      sample.replace('62652', port).replaceAll('/home/alice/.tsh', join(h.dir, '.tsh')),
    );
    await stop(child);
  });
});
