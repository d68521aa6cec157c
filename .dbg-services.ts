import fs from 'node:fs';
import { startKafka } from './infra/kafka';
import { startDevServer } from './infra/dev-server';
async function main() {
  const t = await startDevServer({ ui: false, logLevel: 'warn' });
  const k = await startKafka();
  fs.writeFileSync('/tmp/dbg-env', `export HOMEOSTAT_TEST_KAFKA_BROKERS=${k.brokers.join(',')}\nexport HOMEOSTAT_TEST_TEMPORAL_ADDRESS=${t.address}\n`);
  fs.writeFileSync('/tmp/dbg-brokers', k.brokers.join(','));
  const stop = () => void Promise.all([k.stop(), t.stop()]).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  await new Promise(() => undefined);
}
void main();
