package org.mettle.train;

import java.util.List;
import java.util.Map;
import org.mettle.io.Json;

/**
 * JSON for run configs and metrics lines: parsing is {@link org.mettle.io.Json}'s (LinkedHashMap / List / String /
 * Double / Long / Boolean / null); this class writes maps, lists, strings, numbers and booleans, numbers with Java's
 * shortest round-trip repr, so a double written and read back is bit-identical.
 */
public final class JsonText {
    private JsonText() {}

    /** Parses one value ({@link org.mettle.io.Json}); errors name source and the character offset. */
    public static Object parse(String text, String source) {
        return Json.parse(text, source);
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text, String source) {
        Object v = parse(text, source);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(source + ": expected a JSON object {...}");
        }
        return (Map<String, Object>) v;
    }

    // ---- writing ------------------------------------------------------------------------------------------------

    /** Compact JSON of maps, lists, strings, numbers, booleans and null (NaN and infinities are written as null). */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            sb.append(Json.quote(s));
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append(Json.quote(String.valueOf(e.getKey())));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, l.get(i));
            }
            sb.append(']');
        } else {
            sb.append(Json.quote(v.toString()));
        }
    }
}
