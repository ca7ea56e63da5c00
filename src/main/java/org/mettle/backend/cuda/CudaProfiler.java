package org.mettle.backend.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a CUDA run's time goes. Off unless {@code -Dmettle.cuda.profile=true}; then it collects, by name:
 * {@code kernel X}: GPU time of each launch from CUDA events around it ({@link KernelEventTimer}; the stream is not
 * synchronized per launch, so kernels still overlap the host's work); {@code host launch}: the host's time inside each
 * launch call (argument marshalling and cuLaunchKernel); {@code fallback X}: a primitive run on the host (copies
 * included); {@code copy ...}: host/device copies (DtoH includes waiting for queued kernels); {@code alloc}: driver
 * allocations. Kernel and host times overlap, so shares do not add up to the wall time: a step whose kernel total is
 * well below its wall time is bound by the host. {@code mettle compare} prints the table per method (stderr) and adds
 * it to the JSON row.
 */
public final class CudaProfiler {
    static final boolean ENABLED = Boolean.getBoolean("mettle.cuda.profile");

    private final Map<String, long[]> entries = new HashMap<>(); // name -> {calls, nanos, bytes}
    private Runnable beforeRead = () -> { };

    public static boolean enabled() {
        return ENABLED;
    }

    synchronized void add(String name, long nanos, long bytes) {
        long[] e = entries.computeIfAbsent(name, k -> new long[3]);
        e[0]++;
        e[1] += nanos;
        e[2] += bytes;
    }

    /** Runs before the profile is read or reset (the event timer adds its pending launches). */
    void beforeRead(Runnable r) {
        beforeRead = r;
    }

    public void reset() {
        beforeRead.run();
        synchronized (this) {
            entries.clear();
        }
    }

    /** One row per name, the most time first. */
    public List<Row> rows() {
        beforeRead.run();
        return sortedRows();
    }

    private synchronized List<Row> sortedRows() {
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
        for (Map.Entry<String, long[]> e : new java.util.TreeMap<>(byKind).entrySet()) {
            sb.append(String.format(Locale.ROOT, "total %-38s %9d %11.2f %6.1f%%%n", e.getKey(), e.getValue()[0], e.getValue()[1] / 1e6,
                    100.0 * e.getValue()[1] / Math.max(1, wallNanos)));
        }
        sb.append(String.format(Locale.ROOT, "%-44s %9s %11.2f %6.1f%%  (kernel and host times overlap)%n", "wall", "", wallNanos / 1e6, 100.0));
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
