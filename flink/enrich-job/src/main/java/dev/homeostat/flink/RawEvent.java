package dev.homeostat.flink;

/** One record of the input topic, as read: its exact bytes and where it came from. */
public class RawEvent {
    public String key;
    public byte[] value;
    /** The `id` header the source writes (travels even when the value is unreadable). */
    public String id;
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;

    public RawEvent() {}

    public String position() {
        return topic + "/" + partition + "@" + offset;
    }
}
