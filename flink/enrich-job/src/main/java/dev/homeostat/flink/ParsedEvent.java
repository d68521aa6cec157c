package dev.homeostat.flink;

/**
 * A record that passed the consumer contract, or broke it and was imputed: the fields the
 * features and the output need (absent or mistyped ones are null, as the simulated stage treats
 * them), plus the hash of its exact input bytes, which the sink's checksum is built from.
 */
public class ParsedEvent {
    public String id;
    /** Grouping key of the rolling features (`?` when the record has none). */
    public String key;
    public boolean hasKey;
    /** The record key of the input, reused for the output (partitioning stays stable). */
    public String recordKey;
    public Double ts;
    public Double schemaVersion;
    public String priority;
    public Double amount;
    public Double x1;
    public Double x2;
    public String category;
    public String hash;

    public ParsedEvent() {}
}
