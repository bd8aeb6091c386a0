// YAML as Teleport prints it (ghodss/yaml over go-yaml v2): keys sorted, sequences not indented
// under their key, single-quoted scalars where quoting is needed, no line folding.
import { stringify } from 'yaml';

export function goYaml(value: unknown): string {
  return stringify(value, {
    sortMapEntries: true,
    indentSeq: false,
    singleQuote: true,
    lineWidth: 0,
    minContentWidth: 0,
  });
}

/** `tctl get --format=yaml`: one document per resource, joined by `---`. */
export function goYamlDocuments(values: unknown[]): string {
  return values.map((v) => goYaml(v)).join('---\n');
}
