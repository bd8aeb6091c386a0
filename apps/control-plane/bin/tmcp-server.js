#!/usr/bin/env node
// tmcp-server: the control plane. The compiled CLI lives in dist/ (run the build first).
import '../dist/cli/main.js';
