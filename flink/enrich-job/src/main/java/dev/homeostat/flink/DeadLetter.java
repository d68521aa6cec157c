package dev.homeostat.flink;

/** A rejected record for `<input>.dlq`: original bytes, reason and source in headers (bindings/log/dead-letter.ts). */
public class DeadLetter {
    public String key;
    public byte[] value;
    public String reason;
    public String rule;
    public String sourceTopic;
    public int sourcePartition;
    public long sourceOffset;
    public long at;

    public DeadLetter() {}
}
