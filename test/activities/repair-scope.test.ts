import fs from 'node:fs';
import path from 'node:path';
import { componentsToRearm, descendantsOf } from '../../activities/repair-scope';
import { parsePolicyOrThrow } from '../../policies/load';
import type { Evidence } from '../../workflows/shared';

const DEMO = path.join(__dirname, '../../policies/examples/demo.yaml');
const policy = parsePolicyOrThrow(fs.readFileSync(DEMO, 'utf8'), 'demo.yaml');
const at = '2026-12-04T12:00:00.000Z';
const from = (component?: string): Evidence => ({ at, source: 'sentinel', summary: 'x', ...(component ? { component } : {}) });

describe('which components a verified repair re-arms', () => {
  it('walks the DAG downstream, through every path, never back to the start', () => {
    const edges = [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'a', to: 'd' }, { from: 'd', to: 'c' }, { from: 'c', to: 'a' }];
    expect([...descendantsOf(edges, 'a')].sort()).toEqual(['b', 'c', 'd']);
    expect([...descendantsOf(edges, 'd')].sort()).toEqual(['a', 'b', 'c']);
    expect([...descendantsOf([], 'a')]).toEqual([]);
  });

  it('the repaired component, then the downstream ones whose symptoms reached the incident — not upstream ones, not strangers', () => {
    const evidence = [from(), from('sink'), from('enrich'), from('enrich'), from('source'), from('nowhere')];
    expect(componentsToRearm(policy, { pipeline: 'demo', component: 'enrich', evidence })).toEqual(['enrich', 'sink']);
    expect(componentsToRearm(policy, { pipeline: 'demo', component: 'source', evidence })).toEqual(['source', 'enrich', 'sink']);
  });

  it('only the component itself when nothing downstream was seen, or the pipeline is unknown', () => {
    expect(componentsToRearm(policy, { pipeline: 'demo', component: 'source', evidence: [from()] })).toEqual(['source']);
    expect(componentsToRearm(policy, { pipeline: 'elsewhere', component: 'source', evidence: [from('sink')] })).toEqual(['source']);
  });
});
