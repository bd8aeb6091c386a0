// Entry point of the `tmcp-server` binary (bin/tmcp-server.js imports this file).
import 'reflect-metadata';
import { processIo } from './cli-io.js';
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), processIo);
// On failure nothing is left worth waiting for (a reconnect timer must not keep us alive).
if (code !== 0) process.exit(code);
