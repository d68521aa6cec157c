import { parseSentinelConfig } from './sentinel/config';
import { Engine } from './sentinel/engine';
import { registryFactory } from './sentinel/registry-factory';
import type { LogRecord } from './bindings/log';
function noise(i: number): number { const x = Math.sin(i * 12.9898) * 43758.5453; return (x - Math.floor(x) - 0.5) * 2; }
const N = 400_000, T = 10_000;
const recs: LogRecord[] = [];
for (let i = 0; i < N; i++) { const sig = i % T; const p = Math.floor(sig / 100), c = Math.floor(sig / 10) % 10, s = sig % 10;
  recs.push({ topic: 't', partition: 0, offset: i, key: null, timestamp: 0, headers: {}, value: Buffer.from(`{"kind":"metric","v":1,"ts":${1e12 + Math.floor(i / T) * 1000},"pipeline":"bench-p${p}","component":"c${c}","signal":"s${s}","value":${100 + noise(i)}}`) }); }
const e = new Engine(parseSentinelConfig({}), registryFactory);
let t = Date.now();
for (let i = 0; i < T; i += 1000) e.processBatch({ topic: 't', partition: 0, records: recs.slice(i, i + 1000), highWatermark: N });
console.log('warm-up (creating 10k signals)', Date.now() - t, 'ms');
t = Date.now();
for (let i = T; i < N; i += 1000) e.processBatch({ topic: 't', partition: 0, records: recs.slice(i, i + 1000), highWatermark: N });
console.log('steady', Math.round((N - T) / ((Date.now() - t) / 1000)), 'records/s');
t = Date.now(); const snap = JSON.stringify(e.snapshotPartition('t', 0)); console.log('snapshot', Date.now() - t, 'ms', (snap.length / 1e6).toFixed(1), 'MB');
