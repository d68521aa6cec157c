import path from 'node:path';
import { freePorts } from '../../infra/ports';
import { approvalSequence, running } from './approval-sequence';
import { interrupt } from './cli';

jest.setTimeout(420_000);

afterAll(async () => {
  if (running.dev) await interrupt(running.dev);
});

test('open → waiting → refused → approved → healed → explained → audit chain intact', async () => {
  const [port, uiPort] = await freePorts(2);
  await approvalSequence({ devFlags: [], port: port!, uiPort: uiPort!, knowledgeBase: (stateDir) => path.join(stateDir, 'knowledge.db') });
});
