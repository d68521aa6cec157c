import { KafkaLog } from '../../bindings/log';
import { testKafkaBrokers } from '../support/services';
import { logContract } from './log-contract';

logContract('Kafka (kafkajs, real broker)', {
  open: async () => new KafkaLog({ brokers: testKafkaBrokers(), clientId: 'homeostat-log-contract' }),
  consumerExtras: { sessionTimeoutMs: 10_000, heartbeatMs: 500, rebalanceTimeoutMs: 10_000 },
});
