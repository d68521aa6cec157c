package dev.homeostat.flink;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Strict like the simulated stage: an unparseable record fails the task (the job restarts from
 * its last checkpoint, reads the same record again and fails again: a fail-loop that exhausts the
 * restart strategy) unless the job runs with `--quarantine true`, which routes it — and records
 * breaking the contract — to the dead-letter side output instead. Without quarantine a contract
 * violation is imputed and flows on.
 */
public class ParseOrQuarantine extends ProcessFunction<RawEvent, ParsedEvent> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    private final boolean quarantine;

    public ParseOrQuarantine(boolean quarantine) {
        this.quarantine = quarantine;
    }

    @Override
    public void processElement(RawEvent raw, Context ctx, Collector<ParsedEvent> out) {
        EventParser.Result r = EventParser.parse(raw);
        boolean violates = r.event == null || !r.violations.isEmpty();
        if (violates && quarantine) {
            DeadLetter d = new DeadLetter();
            d.key = raw.key;
            d.value = raw.value;
            d.reason = r.event == null ? r.unparseable : String.join("; ", r.violations);
            d.rule = r.event == null ? "parse" : "contract";
            d.sourceTopic = raw.topic;
            d.sourcePartition = raw.partition;
            d.sourceOffset = raw.offset;
            d.at = System.currentTimeMillis();
            ctx.output(DEAD_LETTERS, d);
            return;
        }
        if (r.event == null) {
            throw new IllegalStateException("cannot parse record at " + raw.position() + " (id " + raw.id + "): " + r.unparseable);
        }
        out.collect(r.event);
    }
}
