package dev.homeostat.flink;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The consumer contract of the demo pipeline (schema v1, simulator/events.ts BASE_SCHEMA) and the
 * same verdicts as the simulated enrich stage (simulator/processes/enrich.ts parseEvent): not JSON
 * or not an object or no string id = unparseable; a null, missing or mistyped field = a violation.
 */
public final class EventParser {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Field name → "string" | "number", in the order of BASE_SCHEMA. */
    static final Map<String, String> SCHEMA = new LinkedHashMap<>();

    static {
        SCHEMA.put("id", "string");
        SCHEMA.put("key", "string");
        SCHEMA.put("ts", "number");
        SCHEMA.put("schemaVersion", "number");
        SCHEMA.put("amount", "number");
        SCHEMA.put("category", "string");
        SCHEMA.put("x1", "number");
        SCHEMA.put("x2", "number");
        SCHEMA.put("priority", "string");
    }

    public static final class Result {
        public final ParsedEvent event;
        /** Why the record cannot be read at all (event is null then). */
        public final String unparseable;
        public final List<String> violations;

        Result(ParsedEvent event, String unparseable, List<String> violations) {
            this.event = event;
            this.unparseable = unparseable;
            this.violations = violations;
        }
    }

    private EventParser() {}

    public static Result parse(RawEvent raw) {
        JsonNode row;
        try {
            row = MAPPER.readTree(raw.value);
        } catch (Exception e) {
            return new Result(null, "not JSON: " + e.getMessage().split("\n")[0], List.of());
        }
        if (row == null || !row.isObject()) return new Result(null, "not an object", List.of());
        if (!row.path("id").isTextual()) return new Result(null, "id: missing", List.of());
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, String> f : SCHEMA.entrySet()) {
            JsonNode v = row.get(f.getKey());
            if (v == null || v.isNull()) violations.add(f.getKey() + ": missing or null");
            else if (f.getValue().equals("number") ? !v.isNumber() : !v.isTextual()) {
                violations.add(f.getKey() + ": expected " + f.getValue() + ", got " + jsType(v));
            }
        }
        ParsedEvent e = new ParsedEvent();
        e.id = row.get("id").asText();
        e.hasKey = row.path("key").isTextual();
        e.key = e.hasKey ? row.get("key").asText() : "?";
        e.recordKey = raw.key;
        e.ts = number(row, "ts");
        e.schemaVersion = number(row, "schemaVersion");
        e.priority = text(row, "priority");
        e.amount = number(row, "amount");
        e.x1 = number(row, "x1");
        e.x2 = number(row, "x2");
        e.category = text(row, "category");
        e.hash = hashBytes(raw.value);
        return new Result(e, null, violations);
    }

    private static Double number(JsonNode row, String field) {
        JsonNode v = row.get(field);
        return v != null && v.isNumber() && Double.isFinite(v.asDouble()) ? v.asDouble() : null;
    }

    private static String text(JsonNode row, String field) {
        JsonNode v = row.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String jsType(JsonNode v) {
        if (v.isNumber()) return "number";
        if (v.isTextual()) return "string";
        if (v.isBoolean()) return "boolean";
        return "object";
    }

    /** sha256 of the exact bytes, first 16 hex digits (simulator/events.ts hashBytes). */
    public static String hashBytes(byte[] bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i++) sb.append(String.format("%02x", d[i]));
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
