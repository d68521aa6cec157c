/**
 * The wrapper module that builds the Temporal CLI and server must require exactly the versions
 * infra/versions.ts pins (the build refuses otherwise), and the CLI's own go.mod must require the
 * same server: that is what makes the two builds share one module graph.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TEMPORAL_BUILD_SOURCE, wrapperVersions } from '../../infra/temporal-build';
import { VERSIONS } from '../../infra/versions';

test('infra/temporal-build/go.mod requires the pinned CLI and server', () => {
  expect(wrapperVersions()).toEqual({ cli: VERSIONS.temporalCli, server: VERSIONS.temporalServer });
  const sum = fs.readFileSync(path.join(TEMPORAL_BUILD_SOURCE, 'go.sum'), 'utf8');
  expect(sum).toContain(`github.com/temporalio/cli v${VERSIONS.temporalCli} h1:`);
  expect(sum).toContain(`go.temporal.io/server v${VERSIONS.temporalServer} h1:`);
});

test('a go.mod with other versions is read as such', () => {
  expect(wrapperVersions('require (\n\tgithub.com/temporalio/cli v1.6.0\n\tgo.temporal.io/server v1.30.0\n)\n')).toEqual({ cli: '1.6.0', server: '1.30.0' });
  expect(wrapperVersions('module x\n')).toEqual({ cli: undefined, server: undefined });
});
