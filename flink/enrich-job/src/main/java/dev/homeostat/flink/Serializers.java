package dev.homeostat.flink;

import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Records for the two transactional sinks: the output topic and the dead-letter topic. */
public final class Serializers {
    private Serializers() {}

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    public static final class Output implements KafkaRecordSerializationSchema<KeyedOutput> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public Output(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(KeyedOutput o, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, timestamp, utf8(o.key), utf8(o.value));
        }
    }

    /** Headers as bindings/log/dead-letter.ts DLQ_HEADERS, so parseDeadLetter reads them back. */
    public static final class DeadLetters implements KafkaRecordSerializationSchema<DeadLetter> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public DeadLetters(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, d.at, utf8(d.key), d.value);
            r.headers().add("hs-dlq-reason", utf8(d.reason));
            r.headers().add("hs-dlq-rule", utf8(d.rule));
            r.headers().add("hs-dlq-at", utf8(Long.toString(d.at)));
            r.headers().add("hs-dlq-source-topic", utf8(d.sourceTopic));
            r.headers().add("hs-dlq-source-partition", utf8(Integer.toString(d.sourcePartition)));
            r.headers().add("hs-dlq-source-offset", utf8(Long.toString(d.sourceOffset)));
            return r;
        }
    }
}
