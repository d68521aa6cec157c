import { Client, Connection } from '@temporalio/client';
import { TemporalIncidentOpener } from './sentinel/incidents';
async function main() {
  const connection = await Connection.connect({ address: process.env.HOMEOSTAT_TEST_TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  const o = new TemporalIncidentOpener(client, { taskQueue: 'dbg-tq' });
  const t = Date.now();
  try {
    await o.open({ pipeline: 'p', component: `c${Date.now()}`, trigger: { kind: 'health', detail: 'x', at: new Date().toISOString() }, evidence: [] }, { at: new Date().toISOString(), source: 'sentinel', summary: 'x' });
    console.log('ok', Date.now() - t);
  } catch (e) { console.log('err', e); }
  await connection.close();
}
void main();
