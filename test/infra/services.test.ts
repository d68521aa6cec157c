import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../common/paths';
import { connectOrStartKafka, connectOrStartTemporal, parseBrokers } from '../../infra/services';
import { testKafkaBrokers, testTemporalAddress } from '../support/services';

describe('existing services named in the environment', () => {
  const saved = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, KAFKA_BROKERS: process.env.KAFKA_BROKERS };

  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('TEMPORAL_ADDRESS is used as is (search attributes checked), and stopping it stops nothing', async () => {
    process.env.TEMPORAL_ADDRESS = testTemporalAddress();
    const target = await connectOrStartTemporal();
    expect(target).toMatchObject({ address: testTemporalAddress(), namespace: 'default', started: false });
    await target.stop();
  });

  it('KAFKA_BROKERS is used as is', async () => {
    process.env.KAFKA_BROKERS = ` ${testKafkaBrokers().join(' , ')} `;
    const target = await connectOrStartKafka();
    expect(target).toMatchObject({ brokers: testKafkaBrokers(), started: false });
    await target.stop();
  });

  it('parses broker lists leniently', () => {
    expect(parseBrokers(undefined)).toEqual([]);
    expect(parseBrokers('a:1, b:2,,')).toEqual(['a:1', 'b:2']);
  });
});

describe('homeostat provision', () => {
  it('on a warm cache reports each service and exits 0', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'homeostat.js'), 'provision', '--test-server', '--kafka'], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.once('error', reject);
        child.once('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
      },
    );
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toMatch(/time-skipping server: .*temporal-test-server$/m);
    expect(stdout).toMatch(/kafka: +\d+ jars on the classpath/);
    expect(stderr).toContain('provisioning finished');
    expect(stdout).not.toContain('temporal CLI');
  });
});
