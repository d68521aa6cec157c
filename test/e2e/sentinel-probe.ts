/** Reading a running `homeostat sentinel` process from outside: its HTTP port and its Prometheus metrics. */
import { readFile } from 'node:fs/promises';
import type { SentinelChild } from '../sentinel/process';

/** The port of the sentinel's HTTP server, from its "sentinel ready" line (once it is up). */
export function httpPort(child: SentinelChild): number | undefined {
  for (const line of child.output) {
    const m = /sentinel ready: .*http http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Unlabelled samples of `/metrics` (labelled series summed), by metric name. */
export async function scrape(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-z_:]+)(\{[^}]*\})? ([-+0-9.eE]+|NaN)$/.exec(line);
    if (m) out[m[1]] = (out[m[1]] ?? 0) + Number(m[3]);
  }
  return out;
}

/** Resident memory of a process in MiB (Linux /proc). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
