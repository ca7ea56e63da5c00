package org.mettle.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.mettle.data.ave.AveDataset;
import org.mettle.data.avs.AvsDataset;
import org.mettle.data.avs.AvsSubset;
import org.mettle.data.avvp.AvvpDataset;
import org.mettle.data.loader.Split;
import org.mettle.data.synthetic.SynthOptions;
import org.mettle.data.synthetic.SyntheticAve;
import org.mettle.data.synthetic.SyntheticAvs;
import org.mettle.data.synthetic.SyntheticAvvp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a deterministic synthetic AVE, LLP (AVVP) or AVSBench dataset in the real layout, then reads it back. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Generate a synthetic audio-visual dataset (AVE, AVVP or AVS) in the real datasets' layout.")
final class SynthCommand implements Runnable {
    @Option(names = "--task", required = true, description = "ave, avvp or avs") String task;
    @Option(names = "--videos", defaultValue = "32", description = "videos to make (per subset for avs; default ${DEFAULT-VALUE})") int videos;
    @Option(names = "--seed", defaultValue = "0", description = "random seed: same seed and options, same files (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--out", required = true, description = "output directory (must not exist or be empty)") Path out;
    @Option(names = "--size", defaultValue = "64x64", description = "frame size WxH (default ${DEFAULT-VALUE})") String size;
    @Option(names = "--sample-rate", defaultValue = "16000", description = "audio sample rate in Hz (default ${DEFAULT-VALUE})") int sampleRate;
    @Option(names = "--frames-per-segment", defaultValue = "1", description = "frames per one-second segment, ave and avvp (default ${DEFAULT-VALUE})") int framesPerSegment;
    @Option(names = "--classes", defaultValue = "0", description = "use only the first N classes (0 = all; default ${DEFAULT-VALUE})") int classes;
    @Option(names = "--held-out", defaultValue = "0", description = "videos in val and in test each (0 = 15 %% each; default ${DEFAULT-VALUE})") int heldOut;
    @Option(names = "--subset", defaultValue = "both", description = "avs only: s4, ms3 or both (default ${DEFAULT-VALUE})") String subset;

    @Override
    public void run() {
        int[] wh = parseSize(size);
        SynthOptions o = SynthOptions.defaults(videos, seed).withSize(wh[0], wh[1]).withSampleRate(sampleRate)
                .withFramesPerSegment(framesPerSegment).withClasses(classes).withHeldOut(heldOut);
        long t0 = System.nanoTime();
        String kind = task.trim().toLowerCase(Locale.ROOT);
        switch (kind) {
            case "ave" -> {
                SyntheticAve.generate(out, o);
                report("AVE", t0);
                for (Split s : Split.values()) {
                    System.out.println("  " + AveDataset.read(out, s).report().format().replace("\n", "\n  "));
                }
            }
            case "avvp" -> {
                SyntheticAvvp.generate(out, o);
                report("LLP (AVVP)", t0);
                for (Split s : Split.values()) {
                    System.out.println("  " + AvvpDataset.read(out, s).report().format().replace("\n", "\n  "));
                }
            }
            case "avs" -> {
                AvsSubset only = switch (subset.trim().toLowerCase(Locale.ROOT)) {
                    case "both" -> null;
                    default -> AvsSubset.parse(subset);
                };
                SyntheticAvs.generate(out, only, o);
                report("AVSBench", t0);
                for (AvsSubset s : only == null ? AvsSubset.values() : new AvsSubset[] {only}) {
                    Path root = out.resolve(s == AvsSubset.S4 ? "Single-source" : "Multi-sources");
                    for (Split sp : Split.values()) {
                        System.out.println("  " + AvsDataset.read(root, s, sp).report().format().replace("\n", "\n  "));
                    }
                }
            }
            default -> throw new IllegalArgumentException("--task " + task + ": use ave, avvp or avs");
        }
    }

    private void report(String name, long t0) {
        System.out.printf(Locale.ROOT, "wrote a synthetic %s dataset of %d videos to %s in %.2f s; read back:%n", name, videos, out,
                (System.nanoTime() - t0) / 1e9);
    }

    static int[] parseSize(String s) {
        String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
        try {
            if (p.length == 1) {
                int v = Integer.parseInt(p[0]);
                return new int[] {v, v};
            }
            if (p.length == 2) {
                return Arrays.stream(p).mapToInt(Integer::parseInt).toArray();
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("--size " + s + ": expected WxH (e.g. 64x64) or one number");
    }
}
