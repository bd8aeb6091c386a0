// The agent's identity on disk, in its data dir (0700): private key, client certificate, the
// control plane CA and a small JSON record (agent id, server, pin, renewal time), each file 0600.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@tmcp/errors';
import { z } from 'zod';
import { writeAtomically } from './lease-state-store.js';

const recordSchema = z.object({
  agent_id: z.string().min(1),
  server_address: z.string().min(1),
  server_name: z.string().optional(),
  ca_pin: z.string().optional(),
  enrolled_at: z.string(),
  not_after: z.string(),
  renew_after: z.string(),
});

export type EnrollmentRecord = z.infer<typeof recordSchema>;

export interface Enrollment {
  record: EnrollmentRecord;
  keyPem: string;
  certPem: string;
  caPem: string;
}

export const ENROLLMENT_FILES = {
  key: 'agent.key',
  cert: 'agent.crt',
  ca: 'ca.crt',
  record: 'agent.json',
} as const;

export class EnrollmentStore {
  constructor(readonly dataDir: string) {}

  private file(name: keyof typeof ENROLLMENT_FILES): string {
    return path.join(this.dataDir, ENROLLMENT_FILES[name]);
  }

  /** Creates the data dir (0700), tightening the mode of an existing one. */
  async ensureDir(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    await chmod(this.dataDir, 0o700);
  }

  async exists(): Promise<boolean> {
    try {
      await readFile(this.file('record'));
      return true;
    } catch {
      return false;
    }
  }

  /** The stored enrollment; `precondition_failed` telling to enroll when there is none. */
  async load(): Promise<Enrollment> {
    let texts: string[];
    try {
      texts = await Promise.all(
        (['record', 'key', 'cert', 'ca'] as const).map((name) => readFile(this.file(name), 'utf8')),
      );
    } catch (err) {
      throw new AppError(
        'precondition_failed',
        `this agent is not enrolled (no identity in ${this.dataDir}); run "tmcp-agent enroll --server HOST:PORT --token TOKEN --ca-pin sha256:…" first`,
        { cause: err },
      );
    }
    const [recordText, keyPem, certPem, caPem] = texts as [string, string, string, string];
    const parsed = recordSchema.safeParse(JSON.parse(recordText));
    if (!parsed.success) {
      throw new AppError(
        'precondition_failed',
        `${this.file('record')} is damaged; enroll the agent again`,
      );
    }
    if (!new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) {
      throw new AppError(
        'precondition_failed',
        `${this.file('cert')} does not match ${this.file('key')}; enroll the agent again`,
      );
    }
    return { record: parsed.data, keyPem, certPem, caPem };
  }

  /** Writes a complete identity; the key first, so a crash never leaves a cert without its key. */
  async save(enrollment: Enrollment): Promise<void> {
    await this.ensureDir();
    await writeAtomically(this.file('key'), enrollment.keyPem);
    await writeAtomically(this.file('cert'), enrollment.certPem);
    await writeAtomically(this.file('ca'), enrollment.caPem);
    await writeAtomically(this.file('record'), `${JSON.stringify(enrollment.record, null, 2)}\n`);
  }
}
