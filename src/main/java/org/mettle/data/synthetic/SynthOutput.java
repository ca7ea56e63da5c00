package org.mettle.data.synthetic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.mettle.data.loader.Split;

/**
 * Output handling for the generators: everything is written into a hidden temporary directory next to the target
 * and renamed into place at the end, so a failed or interrupted run leaves nothing half-written. The target must
 * not exist or be empty.
 */
final class SynthOutput implements AutoCloseable {
    private final Path target;
    private final Path work;
    private boolean committed;

    SynthOutput(Path target) {
        this.target = target.toAbsolutePath().normalize();
        try {
            if (Files.exists(this.target)) {
                if (!Files.isDirectory(this.target)) {
                    throw new IllegalArgumentException("--out " + target + " exists and is not a directory");
                }
                try (Stream<Path> s = Files.list(this.target)) {
                    if (s.findAny().isPresent()) {
                        throw new IllegalArgumentException("--out " + target + " is not empty; choose a new directory");
                    }
                }
            }
            Path parent = this.target.getParent();
            Files.createDirectories(parent);
            this.work = Files.createTempDirectory(parent, "." + this.target.getFileName() + ".synth-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare output directory " + target + ": " + e.getMessage(), e);
        }
    }

    /** Where files go until {@link #commit}. */
    Path root() {
        return work;
    }

    void commit() {
        try {
            if (Files.isDirectory(target)) {
                Files.delete(target); // empty, checked above
            }
            Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the generated data to " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (!committed) {
            try (Stream<Path> s = Files.walk(work)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException ignored) {
                // best effort on the failure path
            }
        }
    }

    static void writeText(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Split of each video: a seeded shuffle, then 70 % train, 15 % val, the rest test, with at least one video in
     * each split when there are three or more.
     */
    static Split[] assignSplits(int videos, long seed) {
        return assignSplits(videos, 0, seed);
    }

    /** As {@link #assignSplits(int, long)} with heldOut videos in val and in test each (0 = 15 % each). */
    static Split[] assignSplits(int videos, int heldOut, long seed) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < videos; i++) {
            order.add(i);
        }
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5EEDL);
        for (int i = videos - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            Integer t = order.get(i);
            order.set(i, order.get(j));
            order.set(j, t);
        }
        int nVal = heldOut > 0 ? heldOut : videos >= 3 ? Math.max(1, (int) Math.round(videos * 0.15)) : videos == 2 ? 1 : 0;
        int nTest = heldOut > 0 ? heldOut : videos >= 3 ? Math.max(1, (int) Math.round(videos * 0.15)) : 0;
        Split[] out = new Split[videos];
        for (int r = 0; r < videos; r++) {
            out[order.get(r)] = r < videos - nVal - nTest ? Split.TRAIN : r < videos - nTest ? Split.VAL : Split.TEST;
        }
        return out;
    }

    /** An 11-character id like the YouTube ids of the real datasets. */
    static String videoId(int i) {
        return String.format(java.util.Locale.ROOT, "syn%08d", i);
    }
}
