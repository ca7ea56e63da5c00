package org.mettle.data.loader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a dataset reader did: lines read, samples kept, and every line or sample it did not turn into a sample,
 * counted by reason with the first few locations of each. Nothing is dropped without appearing here.
 */
public final class ReadReport {
    /** Locations listed per reason; the count is always complete. */
    public static final int EXAMPLES_PER_REASON = 5;

    private final String source;
    private final int linesRead;
    private final int samples;
    private final Map<String, Integer> skipped;
    private final Map<String, List<String>> examples;
    private final List<String> notes;

    private ReadReport(Builder b) {
        this.source = b.source;
        this.linesRead = b.linesRead;
        this.samples = b.samples;
        this.skipped = Collections.unmodifiableMap(new LinkedHashMap<>(b.skipped));
        Map<String, List<String>> ex = new LinkedHashMap<>();
        b.examples.forEach((k, v) -> ex.put(k, List.copyOf(v)));
        this.examples = Collections.unmodifiableMap(ex);
        this.notes = List.copyOf(b.notes);
    }

    public static Builder builder(String source) {
        return new Builder(source);
    }

    /** What was read (a file, or a dataset and split). */
    public String source() {
        return source;
    }

    /** Annotation lines read, header and blank lines included. */
    public int linesRead() {
        return linesRead;
    }

    /** Samples returned. */
    public int samples() {
        return samples;
    }

    /** Lines or samples not returned, by reason (in the order reasons first occurred). */
    public Map<String, Integer> skippedByReason() {
        return skipped;
    }

    public int skipped(String reason) {
        return skipped.getOrDefault(reason, 0);
    }

    public int skippedTotal() {
        return skipped.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Up to {@link #EXAMPLES_PER_REASON} "file:line: detail" strings for the reason. */
    public List<String> examples(String reason) {
        return examples.getOrDefault(reason, List.of());
    }

    /** Facts that are neither samples nor skips (e.g. rows merged, rows belonging to other splits). */
    public List<String> notes() {
        return notes;
    }

    /** A multi-line human summary. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(source).append(": ").append(linesRead).append(" lines read, ").append(samples).append(" samples, ")
                .append(skippedTotal()).append(" skipped");
        skipped.forEach((reason, n) -> {
            sb.append("\n  skipped ").append(n).append(" x ").append(reason);
            for (String e : examples(reason)) {
                sb.append("\n    ").append(e);
            }
            if (n > examples(reason).size()) {
                sb.append("\n    ...");
            }
        });
        for (String n : notes) {
            sb.append("\n  note: ").append(n);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return format();
    }

    /** Mutable accumulator; readers build one per read. */
    public static final class Builder {
        private final String source;
        private int linesRead;
        private int samples;
        private final Map<String, Integer> skipped = new LinkedHashMap<>();
        private final Map<String, List<String>> examples = new LinkedHashMap<>();
        private final List<String> notes = new ArrayList<>();

        private Builder(String source) {
            this.source = source;
        }

        public Builder lineRead() {
            linesRead++;
            return this;
        }

        public Builder sample() {
            samples++;
            return this;
        }

        /** Sets the final sample count (for readers that merge or filter after reading lines). */
        public Builder samples(int n) {
            samples = n;
            return this;
        }

        /** Records one skipped line or sample; file may be null and line 0 when not applicable. */
        public Builder skip(String reason, Path file, int line, String detail) {
            skipped.merge(reason, 1, Integer::sum);
            List<String> ex = examples.computeIfAbsent(reason, k -> new ArrayList<>());
            if (ex.size() < EXAMPLES_PER_REASON) {
                String where = file == null ? "" : DataFormatException.location(file, line);
                ex.add(where + (detail == null ? reason : detail));
            }
            return this;
        }

        public Builder note(String note) {
            notes.add(note);
            return this;
        }

        public ReadReport build() {
            return new ReadReport(this);
        }
    }
}
