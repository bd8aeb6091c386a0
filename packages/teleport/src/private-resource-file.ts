// `tctl create` reads its resource from a file. The document may hold sensitive values, so it is
// written to a fresh directory only this user can enter (0700), as a 0600 file, and both are
// removed when the command ends, whatever the outcome.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export async function withPrivateResourceFile<T>(
  content: string,
  use: (file: string) => Promise<T>,
  baseDir: string = tmpdir(),
): Promise<T> {
  const dir = await mkdtemp(path.join(baseDir, 'tmcp-tctl-'));
  try {
    const file = path.join(dir, 'resource.yaml');
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
