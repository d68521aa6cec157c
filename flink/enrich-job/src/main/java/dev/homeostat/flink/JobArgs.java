package dev.homeostat.flink;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/** The job's arguments (`--name value` pairs); every repair resubmits with a variation of them. */
public final class JobArgs implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String brokers;
    public final String input;
    public final String output;
    public final String deadLetterTopic;
    public final String groupId;
    public final String transactionalIdPrefix;
    /** Unparseable and contract-breaking records go to the dead-letter topic instead of failing the job. */
    public final boolean quarantine;
    public final long checkpointIntervalMs;
    /** Per-record processing cost (ms), to make a stage slower than its input: backpressure. */
    public final long slowMsPerRecord;
    public final long transactionTimeoutMs;
    /** Job name; the flink binding appends `@<request>` so a retried submission finds its own job. */
    public final String jobName;

    private JobArgs(Map<String, String> a) {
        brokers = required(a, "brokers");
        input = a.getOrDefault("input", "events");
        output = a.getOrDefault("output", "enriched");
        deadLetterTopic = a.getOrDefault("dead-letter-topic", input + ".dlq");
        groupId = a.getOrDefault("group", "homeostat-flink-enrich");
        transactionalIdPrefix = a.getOrDefault("transactional-id-prefix", groupId);
        quarantine = Boolean.parseBoolean(a.getOrDefault("quarantine", "false"));
        checkpointIntervalMs = Long.parseLong(a.getOrDefault("checkpoint-interval-ms", "2000"));
        slowMsPerRecord = Long.parseLong(a.getOrDefault("slow-ms-per-record", "0"));
        transactionTimeoutMs = Long.parseLong(a.getOrDefault("transaction-timeout-ms", "300000"));
        jobName = a.getOrDefault("job-name", "homeostat-enrich");
    }

    public static JobArgs parse(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
            String name = args[i].substring(2);
            if (i + 1 >= args.length) throw new IllegalArgumentException("--" + name + " needs a value");
            a.put(name, args[++i]);
        }
        return new JobArgs(a);
    }

    private static String required(Map<String, String> a, String name) {
        String v = a.get(name);
        if (v == null || v.isEmpty()) throw new IllegalArgumentException("--" + name + " is required");
        return v;
    }
}
