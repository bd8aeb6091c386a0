// What every command needs: the resolved settings (flags > TMCPCTL_* > tmcpctl.yaml), one admin
// client created on first use, output in the chosen format, a spinner for calls that wait, and
// follow mode that ends cleanly on Ctrl-C.
import { toJson, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { createAdminClient, type AdminClient } from '@tmcp/client';
import { loadCliConfig, mergeCliFlags, type CliConfig, type OutputFormat } from '@tmcp/config';
import { isAppError } from '@tmcp/errors';
import YAML from 'yaml';
import type { CliIo } from './cli-io.js';

export interface GlobalOptions {
  server?: string;
  token?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  format?: string;
  reason?: string;
  ticket?: string;
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPINNER_DELAY_MS = 250;

export class CliContext {
  private config: CliConfig | undefined;
  private adminClient: AdminClient | undefined;

  constructor(
    readonly io: CliIo,
    private readonly options: GlobalOptions,
  ) {}

  get settings(): CliConfig {
    this.config ??= mergeCliFlags(loadCliConfig({ env: this.io.env }), {
      server: this.options.server,
      token: this.options.token,
      ca: this.options.ca,
      cert: this.options.cert,
      key: this.options.key,
      insecure: this.options.insecure === true ? true : undefined,
      format: this.options.format,
    });
    return this.config;
  }

  get format(): OutputFormat {
    return this.settings.format;
  }

  get reason(): string | undefined {
    return this.options.reason;
  }

  get ticket(): string | undefined {
    return this.options.ticket;
  }

  now(): Date {
    return this.io.now();
  }

  client(): AdminClient {
    if (this.adminClient === undefined) {
      const { server, token, ca, cert, key, insecure } = this.settings;
      if (insecure) {
        this.io.stderr(
          'warning: --insecure: the server certificate is not verified, so anyone in between could pose as the server and read the API key; use --ca <file> (the control plane prints its ca_file) outside development\n',
        );
      }
      this.adminClient = createAdminClient({
        server,
        token,
        ca,
        cert,
        key,
        insecure,
        reason: this.options.reason,
        ticket: this.options.ticket,
      });
    }
    return this.adminClient;
  }

  close(): void {
    this.adminClient?.close();
  }

  /** Prints a response in json or yaml (proto field names), or calls `table` for tables. */
  print<S extends DescMessage>(schema: S, message: MessageShape<S>, table: () => string): void {
    if (this.format === 'table') {
      this.io.stdout(table());
      return;
    }
    this.io.stdout(
      this.serialize(
        toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true }),
      ),
    );
  }

  /** One element of a stream in json (one object per line) or yaml (documents). */
  printStreamItem<S extends DescMessage>(
    schema: S,
    message: MessageShape<S>,
    table: () => string,
  ): void {
    if (this.format === 'table') {
      this.io.stdout(table());
      return;
    }
    const json = toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true });
    this.io.stdout(
      this.format === 'json' ? `${JSON.stringify(json)}\n` : `---\n${YAML.stringify(json)}`,
    );
  }

  serialize(value: unknown): string {
    return this.format === 'yaml' ? YAML.stringify(value) : `${JSON.stringify(value, null, 2)}\n`;
  }

  /** Awaits a call, with a spinner on a terminal's stderr when it takes a moment. */
  async waiting<T>(label: string, work: Promise<T>): Promise<T> {
    if (!this.io.stderrIsTty) return work;
    let frame = 0;
    let shown = false;
    const timer = setInterval(() => {
      shown = true;
      this.io.stderr(`\r${SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length] ?? ''} ${label}`);
    }, SPINNER_DELAY_MS);
    try {
      return await work;
    } finally {
      clearInterval(timer);
      if (shown) this.io.stderr('\r\u001b[K');
    }
  }

  /**
   * Runs a follow loop until it ends or the user presses Ctrl-C; the interrupt cancels the
   * stream and counts as a normal end.
   */
  async follow(run: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const stop = this.io.onInterrupt(() => controller.abort());
    try {
      await run(controller.signal);
    } catch (error) {
      if (controller.signal.aborted && isAppError(error) && error.code === 'cancelled') return;
      throw error;
    } finally {
      stop();
    }
  }
}
