// Shared pieces of the lease benchmarks: flags, the machine line, percentiles, a worker pool,
// the result table, and a sampler of another process's CPU and RSS read from /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

/**
 * Parses `--name value` flags; every flag is a positive integer with a default. `--help` prints
 * `usage` and the defaults, then exits.
 */
export function intFlags(defaults, usage) {
  const options = { help: { type: 'boolean', short: 'h' } };
  for (const name of Object.keys(defaults)) options[name] = { type: 'string' };
  const { values } = parseArgs({ options, allowPositionals: false });
  if (values.help === true) {
    console.log(usage);
    for (const [name, value] of Object.entries(defaults)) console.log(`  --${name} (${value})`);
    process.exit(0);
  }
  const out = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    const raw = values[name];
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    }
    out[name] = value;
  }
  return out;
}

export function machine() {
  const cpus = os.cpus();
  return (
    `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ` +
    `${os.platform()} ${os.release()}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`
  );
}

/** Nearest-rank percentile of an ascending array. */
export function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** "p50 … p90 … p99 … max" of values in ms. */
export function distribution(values, digits = 0) {
  const s = [...values].sort((a, b) => a - b);
  const f = (n) => `${n.toFixed(digits)} ms`;
  return `min ${f(s[0])}, p50 ${f(pct(s, 50))}, p90 ${f(pct(s, 90))}, p99 ${f(pct(s, 99))}, max ${f(s[s.length - 1])}`;
}

/** Runs fn(k) for k in [0, count) with `concurrency` workers; worker w gets fn(k, w). */
export async function pool(count, concurrency, fn) {
  const out = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async (_, worker) => {
      while (next < count) {
        const k = next++;
        out[k] = await fn(k, worker);
      }
    }),
  );
  return out;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints rows [figure, value, notes] as an aligned table. */
export function printTable(title, rows) {
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) =>
    r
      .map((c, i) => String(c ?? '').padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(['figure', 'value', 'conditions']));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime (seconds) and VmRSS (bytes) of a process, from /proc/<pid>/stat and status. */
export function procUsage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return { cpuSeconds, rssBytes: rssKb * 1024 };
}

/**
 * Samples a process every `intervalMs` until stop(); stop() returns CPU (% of one core: mean over
 * the window and the busiest interval) and RSS (mean and max, MiB).
 */
export function sampleProcess(pid, intervalMs = 500) {
  const samples = [{ t: performance.now(), ...procUsage(pid) }];
  let gone;
  const take = () => {
    try {
      samples.push({ t: performance.now(), ...procUsage(pid) });
    } catch (error) {
      gone = error;
      clearInterval(timer);
    }
  };
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      if (gone !== undefined) throw new Error(`process ${pid} exited while sampled: ${gone}`);
      const first = samples[0];
      const last = samples[samples.length - 1];
      const seconds = (last.t - first.t) / 1000;
      let peak = 0;
      for (let i = 1; i < samples.length; i++) {
        const dt = (samples[i].t - samples[i - 1].t) / 1000;
        if (dt > 0) peak = Math.max(peak, (samples[i].cpuSeconds - samples[i - 1].cpuSeconds) / dt);
      }
      const rss = samples.map((s) => s.rssBytes / 2 ** 20);
      return {
        seconds,
        cpuMeanPct: ((last.cpuSeconds - first.cpuSeconds) / seconds) * 100,
        cpuPeakPct: peak * 100,
        rssMeanMiB: rss.reduce((a, b) => a + b, 0) / rss.length,
        rssMaxMiB: Math.max(...rss),
      };
    },
  };
}

export function usageText(u) {
  return `CPU ${u.cpuMeanPct.toFixed(1)}% of a core (peak ${u.cpuPeakPct.toFixed(0)}%), RSS ${u.rssMeanMiB.toFixed(0)} MiB (max ${u.rssMaxMiB.toFixed(0)})`;
}

/** The built-in roles let one principal hold 10 active leases: the benches spread over several. */
export const LEASES_PER_PRINCIPAL = 9;

/**
 * `count` MCP clients of a LeaseWorld, each for a principal of its own (created with
 * `tmcp-server principals create`, role admin), so the per-principal lease cap is not hit.
 */
export async function principalCallers(world, count) {
  const callers = new Array(count);
  await pool(count, 4, async (k) => {
    const out = await world.serverCli([
      'principals',
      'create',
      '--name',
      `bench-${k}`,
      '--role',
      'admin',
      '--kind',
      'user',
      '--json',
    ]);
    if (out.code !== 0) throw new Error(`principals create failed: ${out.stderr}`);
    callers[k] = JSON.parse(out.stdout).api_key;
  });
  const saved = world.apiKey;
  for (let k = 0; k < count; k++) {
    world.apiKey = callers[k];
    callers[k] = await world.mcp();
  }
  world.apiKey = saved;
  return callers;
}
