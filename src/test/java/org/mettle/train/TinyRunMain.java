package org.mettle.train;

import java.nio.file.Path;

/**
 * Child-process entry for the resume test: runs {@link TinyRuns#config} (or, with resume, the config stored in
 * RUN_DIR/last.safetensors) in a fresh JVM, as a real interrupted and restarted run would.
 * Arguments: RUN_DIR DATA resume(true|false) STOP_AFTER_EPOCH.
 */
public final class TinyRunMain {
    private TinyRunMain() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        boolean resume = Boolean.parseBoolean(args[2]);
        RunConfig c = resume
                ? RunConfig.fromJson(Checkpoint.readState(dir.resolve(Trainer.LAST)).configJson(), "last")
                : TinyRuns.config("ave");
        Trainer.Result r = TinyRuns.train(c, dir, args[1], resume, Integer.parseInt(args[3]), null);
        System.out.println("epochs " + r.epochsDone());
    }
}
