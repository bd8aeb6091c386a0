#!/usr/bin/env node
import { silenceGrpcIpServerNameWarning } from '@tmcp/client';

silenceGrpcIpServerNameWarning();
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
