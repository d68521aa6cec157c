package dev.homeostat.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed state: per key, the exponentially weighted mean and variance of `amount` (the simulated
 * stage's EnrichState), checkpointed by Flink; the features of each record are computed against
 * the state before the record updates it, exactly as simulator/processes/enrich.ts `features`.
 */
public class RollingFeatures extends KeyedProcessFunction<String, ParsedEvent, KeyedOutput> {
    private static final long serialVersionUID = 1L;
    static final double ALPHA = 0.1;

    private final long slowMsPerRecord;
    /** [n, mean, variance]. */
    private transient ValueState<double[]> stats;

    public RollingFeatures(long slowMsPerRecord) {
        this.slowMsPerRecord = slowMsPerRecord;
    }

    @Override
    public void open(OpenContext context) {
        stats = getRuntimeContext().getState(new ValueStateDescriptor<>("amount-stats", double[].class));
    }

    @Override
    public void processElement(ParsedEvent e, Context ctx, Collector<KeyedOutput> out) throws Exception {
        if (slowMsPerRecord > 0) Thread.sleep(slowMsPerRecord);
        double[] ks = stats.value();
        if (ks == null) ks = new double[] {0, 50, 625};
        double z = 0;
        if (e.amount != null) {
            z = (e.amount - ks[1]) / Math.sqrt(Math.max(ks[2], 1e-6));
            double diff = e.amount - ks[1];
            double mean = ks[1] + ALPHA * diff;
            stats.update(new double[] {ks[0] + 1, mean, (1 - ALPHA) * (ks[2] + ALPHA * diff * diff)});
        }
        ObjectNode row = EventParser.MAPPER.createObjectNode();
        row.put("id", e.id);
        if (e.hasKey) row.put("key", e.key);
        if (e.ts != null) {
            if (e.ts == Math.rint(e.ts)) row.put("ts", e.ts.longValue());
            else row.put("ts", e.ts);
        }
        row.put("h", e.hash);
        if (e.schemaVersion != null) {
            if (e.schemaVersion == Math.rint(e.schemaVersion)) row.put("schemaVersion", e.schemaVersion.longValue());
            else row.put("schemaVersion", e.schemaVersion);
        }
        if (e.priority != null) row.put("priority", e.priority);
        ObjectNode f = row.putObject("features");
        f.put("x1", e.x1 == null ? 0 : e.x1);
        f.put("x2", e.x2 == null ? 0 : e.x2);
        f.put("amount_norm", e.amount == null ? 0 : (e.amount - 50) / 25);
        f.put("cat_a", "a".equals(e.category) ? 1 : 0);
        f.put("cat_b", "b".equals(e.category) ? 1 : 0);
        f.put("amount_z", Math.max(-6, Math.min(6, z)));
        KeyedOutput o = new KeyedOutput();
        o.key = e.recordKey;
        o.value = EventParser.MAPPER.writeValueAsString(row);
        out.collect(o);
    }
}
