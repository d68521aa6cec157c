import { minimalAnomalousUpstream } from '../../knowledge/lineage';

// raw → source → enrich → score → sink, features → enrich
const edges = [
  { from: 'raw', to: 'source' },
  { from: 'source', to: 'enrich' },
  { from: 'features', to: 'enrich' },
  { from: 'enrich', to: 'score' },
  { from: 'score', to: 'sink' },
];

describe('minimal anomalous upstream set', () => {
  it('walks upstream through anomalous nodes to those with no anomalous parent', () => {
    expect(minimalAnomalousUpstream(edges, 'sink', ['sink', 'score', 'enrich', 'source'])).toEqual({
      candidates: ['source'],
      anomalousPath: ['enrich', 'score', 'sink', 'source'],
    });
  });

  it('returns several roots when independent branches are anomalous', () => {
    expect(minimalAnomalousUpstream(edges, 'score', new Set(['score', 'enrich', 'source', 'features'])).candidates).toEqual(['features', 'source']);
  });

  it('stops at healthy nodes: an anomaly does not travel through them', () => {
    expect(minimalAnomalousUpstream(edges, 'sink', ['sink', 'source']).candidates).toEqual(['sink']);
  });

  it('blames the affected node when nothing upstream is anomalous, or looks past a healthy affected node', () => {
    expect(minimalAnomalousUpstream(edges, 'score', ['score']).candidates).toEqual(['score']);
    expect(minimalAnomalousUpstream(edges, 'score', ['enrich', 'raw', 'source']).candidates).toEqual(['raw']);
    expect(minimalAnomalousUpstream(edges, 'score', []).candidates).toEqual(['score']);
  });

  it('terminates on cycles', () => {
    const cyclic = [...edges, { from: 'sink', to: 'source' }];
    const r = minimalAnomalousUpstream(cyclic, 'sink', ['sink', 'score', 'enrich', 'source']);
    expect(r.candidates.length).toBeGreaterThan(0);
  });
});
