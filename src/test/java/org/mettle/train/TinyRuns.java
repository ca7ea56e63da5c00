package org.mettle.train;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A tiny, fast run configuration for trainer tests: test backbones with random weights, a small synthetic set. */
public final class TinyRuns {
    private TinyRuns() {}

    public static RunConfig config(String task) {
        RunConfig c = RunConfig.tiny();
        c.task = task;
        c.visualArch = "swinv2_test_window4_64";
        c.audioArch = "htsat_test";
        c.visualWeights = null;
        c.audioWeights = null;
        c.segments = 3;
        c.batch = 2;
        c.epochs = 4;
        c.warmupSteps = 2;
        c.accumulation = 2;
        c.clipNorm = 1.0;
        c.metaTokens = 2;
        c.layers = "every:4";
        c.bottleneckRatio = 2;
        c.commonWidth = 16;
        c.workers = 1;
        c.synthVideos = 12;
        c.synthClasses = 3;
        c.seed = 3;
        return c;
    }

    /** Runs the trainer with its log captured into log (may be null to discard). */
    public static Trainer.Result train(RunConfig c, Path dir, String data, boolean resume, int stopAfter, StringBuilder log) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try {
            return Trainer.run(c, new Trainer.Options(dir, data, resume, stopAfter, out, out, false));
        } finally {
            if (log != null) {
                log.append(bytes.toString(StandardCharsets.UTF_8));
            }
        }
    }
}
