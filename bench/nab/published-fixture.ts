/**
 * Writes `test/fixtures/nab/published-slice.json` from a local checkout of the numenta/NAB
 * repository: NAB's final figures and thresholds for the checked detectors, every corpus file's
 * geometry (rows, windows as row ranges), and a slice of per-file results (see
 * `detection/nab/published.ts`). Run from the repository root:
 *
 *   npx tsx bench/nab/published-fixture.ts <NAB checkout> [<commit>]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { publishedFixture } from '../../detection/nab/published';

/** Files with both caught windows and false positives at NAB's thresholds, of three lengths. */
const PICKS = [
  { detector: 'numenta', key: 'realAWSCloudwatch/ec2_disk_write_bytes_c0d644.csv' },
  { detector: 'numenta', key: 'realTraffic/speed_6005.csv' },
  { detector: 'numenta', key: 'realAdExchange/exchange-2_cpc_results.csv' },
  { detector: 'ARTime', key: 'realKnownCause/ec2_request_latency_system_failure.csv' },
  { detector: 'ARTime', key: 'realTraffic/speed_7578.csv' },
  { detector: 'ARTime', key: 'realKnownCause/rogue_agent_key_hold.csv' },
];

const [checkout, commit = 'unknown'] = process.argv.slice(2);
if (!checkout) {
  process.stderr.write('usage: npx tsx bench/nab/published-fixture.ts <NAB checkout> [<commit>]\n');
  process.exit(2);
}
const fixture = publishedFixture(checkout, PICKS, `numenta/NAB ${commit} (MIT): results/, config/thresholds.json, labels/combined_windows.json`);
const out = path.join(__dirname, '..', '..', 'test', 'fixtures', 'nab', 'published-slice.json');
fs.writeFileSync(out, `${JSON.stringify(fixture)}\n`);
process.stdout.write(`wrote ${out}: ${fixture.geometry.length} files, ${fixture.slice.length} slice files, ${fixture.slice.reduce((n, s) => n + s.detections.length, 0)} detections\n`);
