// grpc-js passes the host as TLS server name even when it is an IP address (127.0.0.1:8443), and
// Node warns about that on every connection (DEP0123). The warning is grpc-js's, not the user's:
// the binaries that dial tmcp ports by address silence exactly that one.
export function silenceGrpcIpServerNameWarning(): void {
  const original = process.emitWarning.bind(process);
  const filtered = (warning: string | Error, ...rest: unknown[]): void => {
    const options = rest[0];
    const code =
      typeof options === 'object' && options !== null
        ? (options as { code?: unknown }).code
        : rest[1];
    if (code === 'DEP0123') return;
    Reflect.apply(original, process, [warning, ...rest]);
  };
  process.emitWarning = filtered;
}
