// How each long-running tsh command says it is ready, and where it listens (TELEPORT.md §3, §1.6).
// Only stdout lines are inspected: banners go to stdout, logs to stderr.

export interface ReadySignal {
  /** `host:port` the local proxy listens on, when the banner names one. */
  listenAddr?: string;
}

export interface ReadinessDetector {
  readonly name: string;
  /** Ready as soon as the process has spawned (stdio servers print no banner). */
  readonly onSpawn?: boolean;
  /** A ready signal when this stdout line announces readiness, else undefined. */
  detect(line: string): ReadySignal | undefined;
}

function fromPatterns(name: string, patterns: readonly RegExp[]): ReadinessDetector {
  return {
    name,
    detect(line) {
      const text = line.trim();
      for (const p of patterns) {
        const m = p.exec(text);
        if (m) return m[1] === undefined ? {} : { listenAddr: m[1] };
      }
      return undefined;
    },
  };
}

// `…on 127.0.0.1:62652.` (tunnel banner ends with a period) / `Started DB proxy on 127.0.0.1:62652`
const ADDR = '(\\[[0-9A-Fa-f:]+\\]:\\d+|[A-Za-z0-9.-]+:\\d+)';

export const ReadinessDetectors = {
  /** `tsh proxy db` (tunnel and certificate modes). */
  db: fromPatterns('proxy_db', [
    new RegExp(`^Started authenticated tunnel for the .* on ${ADDR}\\.?$`),
    new RegExp(`^Started DB proxy on ${ADDR}\\.?$`),
  ]),
  /** `tsh proxy app`: `Proxying connections to grafana on 127.0.0.1:61234`. */
  app: fromPatterns('proxy_app', [new RegExp(`^Proxying connections to \\S+ on ${ADDR}\\.?$`)]),
  /** `tsh proxy mcp`: the same banner as `tsh proxy app`. */
  mcp: fromPatterns('proxy_mcp', [new RegExp(`^Proxying connections to \\S+ on ${ADDR}\\.?$`)]),
  /** `tsh proxy kube`: `Started local proxy for Kubernetes on 127.0.0.1:8888`. */
  kube: fromPatterns('proxy_kube', [
    new RegExp(`^Started local proxy for Kubernetes on ${ADDR}\\.?$`),
  ]),
  /** `tsh vnet`: `VNet is ready.` (no address: VNet is a virtual network). */
  vnet: fromPatterns('vnet', [/^VNet is ready\.?$/]),
  /** `tsh proxy ssh`, `tsh mcp connect`, `tsh mcp db start`: stdio, no banner. */
  stdio: { name: 'stdio', onSpawn: true, detect: () => undefined } satisfies ReadinessDetector,
} as const;
