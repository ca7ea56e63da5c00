package org.mettle.memory;

import java.util.EnumMap;
import java.util.Map;
import org.mettle.tensor.Device;

/**
 * Exact, deterministic accounting of every tensor allocation on one device: live and peak bytes per
 * {@link MemoryCategory} and in total. Backends report here; nothing is estimated.
 */
public final class MemoryLedger {
    private static final Map<Device, MemoryLedger> LEDGERS = new EnumMap<>(Device.class);

    private final Device device;
    private final long[] live = new long[MemoryCategory.values().length];
    private final long[] peak = new long[MemoryCategory.values().length];
    private long liveTotal;
    private long peakTotal;
    private long allocations;

    private MemoryLedger(Device device) {
        this.device = device;
    }

    /** The process-wide ledger of a device. */
    public static synchronized MemoryLedger of(Device device) {
        return LEDGERS.computeIfAbsent(device, MemoryLedger::new);
    }

    public Device device() {
        return device;
    }

    public synchronized void allocate(MemoryCategory category, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative allocation of " + bytes + " bytes");
        }
        int c = category.ordinal();
        live[c] += bytes;
        liveTotal += bytes;
        allocations++;
        peak[c] = Math.max(peak[c], live[c]);
        peakTotal = Math.max(peakTotal, liveTotal);
    }

    public synchronized void release(MemoryCategory category, long bytes) {
        int c = category.ordinal();
        if (live[c] < bytes) {
            throw new IllegalStateException("ledger underflow on " + device + "/" + category + ": releasing " + bytes
                    + " bytes with " + live[c] + " live (a tensor was released twice?)");
        }
        live[c] -= bytes;
        liveTotal -= bytes;
    }

    /** Moves live bytes from one category to another (e.g. an activation that autograd saves). */
    public synchronized void move(MemoryCategory from, MemoryCategory to, long bytes) {
        if (from == to) {
            return;
        }
        release(from, bytes);
        int c = to.ordinal();
        live[c] += bytes;
        liveTotal += bytes;
        peak[c] = Math.max(peak[c], live[c]);
        peakTotal = Math.max(peakTotal, liveTotal);
    }

    public synchronized long live(MemoryCategory category) {
        return live[category.ordinal()];
    }

    public synchronized long peak(MemoryCategory category) {
        return peak[category.ordinal()];
    }

    public synchronized long liveTotal() {
        return liveTotal;
    }

    public synchronized long peakTotal() {
        return peakTotal;
    }

    public synchronized long allocationCount() {
        return allocations;
    }

    /** Starts a new measurement window: every peak becomes the current live value. */
    public synchronized void resetPeaks() {
        System.arraycopy(live, 0, peak, 0, live.length);
        peakTotal = liveTotal;
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(device, live.clone(), peak.clone(), liveTotal, peakTotal);
    }

    /** An immutable copy of the ledger's counters. */
    public record Snapshot(Device device, long[] live, long[] peak, long liveTotal, long peakTotal) {
        public long live(MemoryCategory c) {
            return live[c.ordinal()];
        }

        public long peak(MemoryCategory c) {
            return peak[c.ordinal()];
        }

        /** A human-readable table, one category a line. */
        public String format() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("%-12s %14s %14s%n", device.name().toLowerCase() + " memory", "live", "peak"));
            for (MemoryCategory c : MemoryCategory.values()) {
                sb.append(String.format("%-12s %14s %14s%n", c.name().toLowerCase(), bytes(live(c)), bytes(peak(c))));
            }
            sb.append(String.format("%-12s %14s %14s%n", "total", bytes(liveTotal), bytes(peakTotal)));
            return sb.toString();
        }

        /** JSON object with per-category live/peak bytes. */
        public String toJson() {
            StringBuilder sb = new StringBuilder("{\"device\":\"").append(device.name().toLowerCase()).append('"');
            for (MemoryCategory c : MemoryCategory.values()) {
                String n = c.name().toLowerCase();
                sb.append(",\"").append(n).append("_live\":").append(live(c));
                sb.append(",\"").append(n).append("_peak\":").append(peak(c));
            }
            sb.append(",\"total_live\":").append(liveTotal).append(",\"total_peak\":").append(peakTotal).append('}');
            return sb.toString();
        }
    }

    /** Formats a byte count with a binary unit. */
    public static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.2f %s", v, units[u]);
    }
}
