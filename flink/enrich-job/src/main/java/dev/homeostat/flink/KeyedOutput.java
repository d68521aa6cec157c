package dev.homeostat.flink;

/** One enriched record for the output topic. */
public class KeyedOutput {
    public String key;
    public String value;

    public KeyedOutput() {}
}
