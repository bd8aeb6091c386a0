// The shared life of one tsh/tctl invocation: parse argv the kingpin way, apply the fault
// knobs, run the command, print `ERROR: ...` and choose the exit code, flush the audit log.
import { setTimeout as delay } from 'node:timers/promises';
import { forcedError } from '../faults/fault-knobs.js';
import { parseArgv, type CommandSpec, type ParsedCommand } from './kingpin-parser.js';
import { SimContext, type SimIo } from './sim-context.js';
import { renderError, TeleportError } from './teleport-error.js';

/** A command returns its exit code (0 when it returns nothing). */
export type CommandHandler = (
  cmd: ParsedCommand,
  ctx: SimContext,
) => Promise<number | void> | number | void;

export interface ProgramDefinition {
  program: 'tsh' | 'tctl';
  spec: CommandSpec;
  handlers: Record<string, CommandHandler>;
  /** The address a forced "unreachable" failure names. */
  addressOf: (cmd: ParsedCommand) => string;
}

export async function runProgram(
  def: ProgramDefinition,
  argv: readonly string[],
  io: SimIo,
): Promise<number> {
  const ctx = new SimContext(def.program, io);
  const plant = ctx.faults.secretPlant;
  try {
    if (plant) ctx.err(`DEBUG [CLIENT]    Using bearer token ${plant} client/api.go:512\n`);
    const cmd = parseArgv(def.spec, argv, io.env);
    const line = cmd.commandLine(def.program);
    if (ctx.faults.latencyMs > 0) await delay(ctx.faults.latencyMs);
    if (ctx.faults.shouldHang(line)) {
      // Never returns on its own (a pending promise alone would let node exit): kill it.
      const keepAlive = setInterval(() => undefined, 60_000);
      await io.signal;
      clearInterval(keepAlive);
      return 0;
    }
    const forced = ctx.faults.forcedFailure(line);
    if (forced !== undefined) throw forcedError(forced, def.program, def.addressOf(cmd));
    const handler = def.handlers[cmd.command];
    if (!handler) throw new TeleportError('usage', `expected command but got "${cmd.command}"`);
    const code = (await handler(cmd, ctx)) ?? 0;
    await flushAudit(ctx);
    return code;
  } catch (err) {
    await flushAudit(ctx);
    const teleportError =
      err instanceof TeleportError
        ? err
        : new TeleportError('internal', err instanceof Error ? err.message : String(err));
    if (plant && !teleportError.message.includes(plant)) {
      ctx.err(
        renderError(
          new TeleportError(
            teleportError.kind,
            `${teleportError.message} (token ${plant})`,
            teleportError.plain,
          ),
        ),
      );
    } else {
      ctx.err(renderError(teleportError));
    }
    return 1;
  }
}

async function flushAudit(ctx: SimContext): Promise<void> {
  if (!ctx.audit.hasPending) return;
  try {
    await ctx.audit.flush();
  } catch (err) {
    ctx.err(
      `WARN  [SIM] could not record audit events: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  }
}
