package org.mettle.backend.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a CUDA run's time goes, by kernel, host fallback, copy and driver allocation. Off unless
 * {@code -Dmettle.cuda.profile=true}: then every launch is bracketed by stream synchronizations, so each kernel's time is
 * its own GPU time plus one launch, and the run is slower than an unprofiled one. {@code mettle compare} prints the
 * table per method (to stderr) and adds it to the JSON row.
 */
public final class CudaProfiler {
    static final boolean ENABLED = Boolean.getBoolean("mettle.cuda.profile");

    private final Map<String, long[]> entries = new HashMap<>(); // name -> {calls, nanos, bytes}

    public static boolean enabled() {
        return ENABLED;
    }

    synchronized void add(String name, long nanos, long bytes) {
        long[] e = entries.computeIfAbsent(name, k -> new long[3]);
        e[0]++;
        e[1] += nanos;
        e[2] += bytes;
    }

    public synchronized void reset() {
        entries.clear();
    }

    /** One row per name, the most time first. */
    public synchronized List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        entries.forEach((name, e) -> rows.add(new Row(name, e[0], e[1], e[2])));
        rows.sort((a, b) -> Long.compare(b.nanos(), a.nanos()));
        return rows;
    }

    public record Row(String name, long calls, long nanos, long bytes) {
    }

    /** A text table of the top {@code limit} rows with each one's share of {@code wallNanos}, and the totals by kind. */
    public String table(long wallNanos, int limit) {
        List<Row> rows = rows();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-44s %9s %11s %7s%n", "kernel / fallback / copy / alloc", "calls", "ms", "share"));
        Map<String, long[]> byKind = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (i < limit) {
                sb.append(String.format(Locale.ROOT, "%-44s %9d %11.2f %6.1f%%%n", r.name(), r.calls(), r.nanos() / 1e6,
                        100.0 * r.nanos() / Math.max(1, wallNanos)));
            }
            long[] k = byKind.computeIfAbsent(kindOf(r.name()), x -> new long[2]);
            k[0] += r.calls();
            k[1] += r.nanos();
        }
        long accounted = 0;
        for (Map.Entry<String, long[]> e : byKind.entrySet()) {
            sb.append(String.format(Locale.ROOT, "total %-38s %9d %11.2f %6.1f%%%n", e.getKey(), e.getValue()[0], e.getValue()[1] / 1e6,
                    100.0 * e.getValue()[1] / Math.max(1, wallNanos)));
            accounted += e.getValue()[1];
        }
        sb.append(String.format(Locale.ROOT, "%-44s %9s %11.2f %6.1f%%%n", "host time outside these (wall - above)", "",
                (wallNanos - accounted) / 1e6, 100.0 * (wallNanos - accounted) / Math.max(1, wallNanos)));
        return sb.toString();
    }

    /** {"rows":[{"name":..,"calls":..,"ms":..,"bytes":..},...]} with the top {@code limit} rows. */
    public String toJson(int limit) {
        StringBuilder sb = new StringBuilder("{\"rows\":[");
        List<Row> rows = rows();
        for (int i = 0; i < Math.min(limit, rows.size()); i++) {
            Row r = rows.get(i);
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"name\":\"%s\",\"calls\":%d,\"ms\":%.3f,\"bytes\":%d}",
                    r.name().replace("\"", "'"), r.calls(), r.nanos() / 1e6, r.bytes()));
        }
        return sb.append("]}").toString();
    }

    static String kindOf(String name) {
        int space = name.indexOf(' ');
        return space < 0 ? name : name.substring(0, space);
    }
}
