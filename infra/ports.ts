import net from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1. The port is released before the server binds
 * it, so another process could take it in between; Linux hands out ephemeral ports in sequence,
 * which makes that race rare enough for local servers.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Distinct free ports (asking twice in a row could otherwise return the same one). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Distinct free ports below 32768, for servers that store their ports as a signed 16-bit
 * number (Temporal's cluster_membership table on PostgreSQL); the kernel's ephemeral range starts
 * above that, so these are probed one by one from a random start.
 */
export async function freeLowPorts(count: number, from = 20_000, to = 32_767): Promise<number[]> {
  const ports: number[] = [];
  let candidate = from + Math.floor(Math.random() * (to - from));
  for (let tries = 0; ports.length < count && tries < to - from; tries++) {
    candidate = candidate >= to ? from : candidate + 1;
    if (await bindable(candidate)) ports.push(candidate);
  }
  if (ports.length < count) throw new Error(`no ${count} free ports between ${from} and ${to}`);
  return ports;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
