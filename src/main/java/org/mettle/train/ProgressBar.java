package org.mettle.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One epoch's progress on stderr: bar, step, loss, samples/s and ETA. On a terminal the line is redrawn with '\r'
 * at most ~5 times a second; otherwise (logs, pipes) a full line is printed at every further ~10 % of the epoch.
 */
public final class ProgressBar {
    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private final int total;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int lastDecile = -1;

    public ProgressBar(PrintStream out, boolean terminal, String label, int total) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
        this.total = Math.max(1, total);
    }

    /** True when System.console() says stdout and stdin are a terminal. */
    public static boolean onTerminal() {
        return System.console() != null;
    }

    /** Reports done of total batches, the running mean loss and samples seen so far. */
    public void update(int done, double loss, long samples) {
        long now = System.nanoTime();
        int decile = done * 10 / total;
        if (terminal) {
            if (done < total && now - lastDraw < 200_000_000L) {
                return;
            }
            lastDraw = now;
            out.print("\r" + line(done, loss, samples, now));
            if (done >= total) {
                out.println();
            }
        } else if (decile > lastDecile || done >= total) {
            lastDecile = decile;
            out.println(line(done, loss, samples, now));
        }
        out.flush();
    }

    String line(int done, double loss, long samples, long now) {
        double seconds = (now - start) / 1e9;
        int width = 24;
        int filled = (int) Math.round(width * (double) done / total);
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        double rate = seconds > 0 ? samples / seconds : 0;
        double eta = done > 0 ? seconds * (total - done) / done : Double.NaN;
        return String.format(Locale.ROOT, "%s [%s] %d/%d loss %.4f  %.2f samples/s  ETA %s", label, bar, done, total, loss, rate, clock(eta));
    }

    static String clock(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
