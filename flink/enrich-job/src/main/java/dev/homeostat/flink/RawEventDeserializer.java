package dev.homeostat.flink;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Never fails: parsing happens downstream, where a bad record can be quarantined or fail the job. */
public class RawEventDeserializer implements KafkaRecordDeserializationSchema<RawEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawEvent> out) {
        RawEvent e = new RawEvent();
        e.key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        e.value = record.value() == null ? new byte[0] : record.value();
        Header id = record.headers().lastHeader("id");
        e.id = id == null ? "?" : new String(id.value(), StandardCharsets.UTF_8);
        e.topic = record.topic();
        e.partition = record.partition();
        e.offset = record.offset();
        e.timestamp = record.timestamp();
        out.collect(e);
    }

    @Override
    public TypeInformation<RawEvent> getProducedType() {
        return TypeInformation.of(RawEvent.class);
    }
}
