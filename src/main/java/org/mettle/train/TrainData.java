package org.mettle.train;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.mettle.data.av.AvClip;
import org.mettle.data.av.AvFrontEnd;
import org.mettle.data.ave.AveDataset;
import org.mettle.data.avvp.AvvpDataset;
import org.mettle.data.loader.ReadReport;
import org.mettle.data.loader.Split;
import org.mettle.data.synthetic.SynthOptions;
import org.mettle.data.synthetic.SyntheticAve;
import org.mettle.data.synthetic.SyntheticAvvp;
import org.mettle.method.Task;

/** The clips of a run: an AVE or LLP tree on disk, or a synthetic set generated once. */
public final class TrainData {
    public static final String SYNTHETIC = "synthetic";

    private TrainData() {}

    /**
     * The dataset root for --data: the directory itself, or for {@code synthetic} syntheticDir, generated there with
     * the config's seed, video and class counts and the visual backbone's frame side when it does not exist yet.
     */
    public static Path root(String data, RunConfig config, Path syntheticDir, PrintStream log) {
        if (data == null || data.isBlank()) {
            throw new IllegalArgumentException("--data is required: a dataset directory or 'synthetic'");
        }
        if (!data.equals(SYNTHETIC)) {
            Path root = Path.of(data);
            if (!Files.isDirectory(root)) {
                throw new IllegalArgumentException("--data " + data + ": no such directory (pass an AVE or LLP dataset root, see docs/data.md,"
                        + " or --data synthetic)");
            }
            return root;
        }
        if (isNonEmptyDir(syntheticDir)) {
            return syntheticDir;
        }
        AvFrontEnd fe = AvFrontEnd.forArchs(config.visualArch, config.audioArch);
        SynthOptions o = SynthOptions.defaults(config.synthVideos, config.seed).withSize(fe.frameSide(), fe.frameSide())
                .withSampleRate(fe.sampleRate()).withClasses(config.synthClasses).withHeldOut(config.synthHeldOut);
        long t0 = System.nanoTime();
        if (config.taskEnum() == Task.AVE) {
            SyntheticAve.generate(syntheticDir, o);
        } else {
            SyntheticAvvp.generate(syntheticDir, o);
        }
        log.printf("generated a synthetic %s set of %d videos (%dx%d frames, seed %d) in %s in %.1f s%n", config.task, config.synthVideos,
                fe.frameSide(), fe.frameSide(), config.seed, syntheticDir, (System.nanoTime() - t0) / 1e9);
        return syntheticDir;
    }

    /** The clips of one split; a split without clips is an error naming the file read. */
    public static List<AvClip> clips(Task task, Path root, Split split, boolean allowEmpty) {
        List<AvClip> clips;
        ReadReport report;
        if (task == Task.AVE) {
            if (!Files.isRegularFile(root.resolve("trainSet.txt")) && Files.isRegularFile(root.resolve("AVVP_train.csv"))) {
                throw new IllegalArgumentException(root + " is an LLP (AVVP) dataset but the task is ave");
            }
            AveDataset ds = AveDataset.read(root, split);
            clips = AvClip.ofAve(ds.samples());
            report = ds.report();
        } else {
            if (!Files.isRegularFile(root.resolve("AVVP_train.csv")) && Files.isRegularFile(root.resolve("trainSet.txt"))) {
                throw new IllegalArgumentException(root + " is an AVE dataset but the task is avvp");
            }
            AvvpDataset ds = AvvpDataset.read(root, split);
            clips = AvClip.ofAvvp(ds.samples());
            report = ds.report();
        }
        if (clips.isEmpty() && !allowEmpty) {
            throw new IllegalArgumentException("the " + split.id() + " split of " + root + " holds no usable video:\n" + report.format());
        }
        return clips;
    }

    public static boolean isNonEmptyDir(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
