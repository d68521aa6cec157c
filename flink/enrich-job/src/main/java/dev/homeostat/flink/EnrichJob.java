package dev.homeostat.flink;

import java.time.Duration;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;

/**
 * The enrich stage of the demo pipeline as a Flink job: Kafka in → parse (or quarantine) →
 * keyed rolling features → Kafka out, exactly once. Checkpoints every `--checkpoint-interval-ms`
 * hold the source offsets and the keyed state; both sinks are transactional (their transactions
 * commit when a checkpoint completes), so a read_committed consumer of the output sees every input
 * record once, whatever fails and restarts in between.
 *
 * Every operator has a fixed uid: savepoints and checkpoints map onto the same operators after a
 * resubmission with another parallelism or with quarantine switched on. The dead-letter sink is
 * part of the graph whether quarantine is on or not, so switching it never leaves state behind.
 */
public final class EnrichJob {
    private EnrichJob() {}

    public static void main(String[] argv) throws Exception {
        JobArgs args = JobArgs.parse(argv);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(args.checkpointIntervalMs, CheckpointingMode.EXACTLY_ONCE);
        env.getCheckpointConfig().setMinPauseBetweenCheckpoints(Math.min(500, args.checkpointIntervalMs / 2));
        // Fixed, so keyed state can be redistributed to any parallelism up to it.
        env.setMaxParallelism(128);
        // The arguments, readable through REST (GET /jobs/:id/config, user-config): a repair
        // resubmits the job with the arguments it ran with, changing only what it repairs.
        env.getConfig().setGlobalJobParameters(ParameterTool.fromArgs(argv));

        KafkaSource<RawEvent> source = KafkaSource.<RawEvent>builder()
                .setBootstrapServers(args.brokers)
                .setTopics(args.input)
                .setGroupId(args.groupId)
                // Only for a job without state: a restored job starts from its checkpoint's offsets.
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new RawEventDeserializer())
                // Offsets are committed to the group on each checkpoint: Kafka's consumer lag is readable.
                .setProperty("commit.offsets.on.checkpoint", "true")
                .setProperty("partition.discovery.interval.ms", "10000")
                .setProperty("isolation.level", "read_committed")
                .build();
        WatermarkStrategy<RawEvent> watermarks = WatermarkStrategy.<RawEvent>forBoundedOutOfOrderness(Duration.ofSeconds(2))
                .withTimestampAssigner((e, ts) -> e.timestamp)
                .withIdleness(Duration.ofSeconds(5));

        SingleOutputStreamOperator<ParsedEvent> parsed = env.fromSource(source, watermarks, "events")
                .uid("events-source")
                .process(new ParseOrQuarantine(args.quarantine))
                .name("parse")
                .uid("parse");
        parsed.keyBy(e -> e.key)
                .process(new RollingFeatures(args.slowMsPerRecord))
                .name("features")
                .uid("features")
                .sinkTo(sink(args, args.output, new Serializers.Output(args.output), "out"))
                .name("enriched")
                .uid("enriched-sink");
        parsed.getSideOutput(ParseOrQuarantine.DEAD_LETTERS)
                .sinkTo(sink(args, args.deadLetterTopic, new Serializers.DeadLetters(args.deadLetterTopic), "dlq"))
                .name("dead-letters")
                .uid("dead-letter-sink");

        env.execute(args.jobName);
    }

    private static <T> KafkaSink<T> sink(JobArgs args, String topic, org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> schema, String suffix) {
        Properties producer = new Properties();
        // Longer than a checkpoint interval plus a restart: a transaction must outlive the recovery that commits it.
        producer.setProperty("transaction.timeout.ms", Long.toString(args.transactionTimeoutMs));
        return KafkaSink.<T>builder()
                .setBootstrapServers(args.brokers)
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(schema)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(args.transactionalIdPrefix + "-" + suffix)
                .build();
    }
}
