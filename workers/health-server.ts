/**
 * The worker process's probe endpoints, for Kubernetes and anyone else who asks:
 *   GET /livez   200 while the process's event loop answers (liveness: restart me if not)
 *   GET /readyz  200 when the Temporal worker is RUNNING and the knowledge base answers a
 *                query; 503 with the reason otherwise (readiness: send me no work yet)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReadinessCheck {
  name: string;
  /** Resolves with undefined when fine, or the reason when not. */
  check(): Promise<string | undefined>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthEndpoints(port: number, host: string, checks: ReadinessCheck[]): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: `${req.method} is not allowed` });
    if (req.url === '/livez') return send(200, { ok: true });
    if (req.url === '/readyz') {
      void Promise.all(
        checks.map(async (c) => {
          // A check that hangs must not hang the probe: the kubelet would time out anyway.
          const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 3 s'), 3_000).unref());
          const reason = await Promise.race([c.check().catch((err: unknown) => (err instanceof Error ? err.message : String(err))), timeout]);
          return { name: c.name, ok: reason === undefined, ...(reason === undefined ? {} : { reason }) };
        }),
      ).then((results) => send(results.every((r) => r.ok) ? 200 : 503, { ok: results.every((r) => r.ok), checks: results }));
      return;
    }
    send(404, { error: `no route for ${req.url}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
