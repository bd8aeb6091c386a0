#!/usr/bin/env node
// Rewrites the generated tables of docs/policy.md from the built package (run `npm run build`
// first). The policy-docs spec fails when the document and the code disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DOC_MARKERS,
  renderCapabilityTable,
  renderRoleMatrix,
  renderRoleTable,
  replaceBetweenMarkers,
} from '../dist/index.js';

const docPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../docs/policy.md',
);
let doc = readFileSync(docPath, 'utf8');
const sections = [
  [DOC_MARKERS.capabilities, renderCapabilityTable()],
  [DOC_MARKERS.roles, renderRoleTable()],
  [DOC_MARKERS.matrix, renderRoleMatrix()],
];
for (const [markers, content] of sections) {
  const next = replaceBetweenMarkers(doc, markers, content);
  if (next === undefined) {
    console.error(`${docPath}: markers ${markers.join(' … ')} not found`);
    process.exit(1);
  }
  doc = next;
}
writeFileSync(docPath, doc);
console.log(`rewrote ${docPath}`);
