// A stand-in for the simulated cluster's `grafana` web app: a tiny HTTP server inside the demo
// process, so that a `proxy_app` lease on `grafana` reaches something real.
import http from 'node:http';

export function startWebApp(port) {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({
      app: 'grafana (tmcp demo stand-in)',
      method: req.method,
      path: req.url,
      time: new Date().toISOString(),
    });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(`${body}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.unref();
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}
