package org.mettle.pretrain;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.mettle.backend.Backend;
import org.mettle.data.audio.Audio;
import org.mettle.data.av.AvFrontEnd;
import org.mettle.data.image.RgbImage;
import org.mettle.data.synthetic.SyntheticStimuli;
import org.mettle.data.synthetic.SyntheticStimuli.HeardClass;
import org.mettle.data.synthetic.SyntheticStimuli.PlacedObject;
import org.mettle.models.Architectures;
import org.mettle.tensor.Tensor;

/**
 * Labelled single-modality examples for pretraining, drawn in memory with the synthetic datasets' class looks and
 * sounds and turned into backbone inputs by {@link AvFrontEnd}, exactly as every other command does.
 *
 * <p>Each example shows (or plays) one of the first {@code classes} synthetic classes, or nothing. Its label is what the
 * {@link PretrainTarget} names of that class (the class itself, or only its shape, texture or timbre), and
 * {@code target.labelsFor(classes)} for "nothing" (only background, or only noise), so the backbone also learns what
 * an empty frame or a silent second looks like (AVE has many).
 * <ul>
 *   <li>visual: a {@value #FRAME_SIDE}x{@value #FRAME_SIDE} frame (the synthetic sets' default size) with the class's
 *       object at a random position and radius (0.12 to 0.26 of the side; AVE uses 0.18), on a fresh noisy background;
 *       half the time a smaller object of another class lies under it (partly hidden when they overlap).</li>
 *   <li>audio: one second at {@value #SAMPLE_RATE} Hz (the synthetic sets' rate) of the class's sound at a random gain
 *       (0.2 to 0.6; AVE uses 0.45), half the time with a quieter sound of another class (0.15 to 0.6 of it; AVE's
 *       off-screen sounds are 0.2 against 0.45), plus white noise of a random level (0.005 to 0.05).</li>
 * </ul>
 * Example i of a stream depends only on (seed, stream, i): batches are the same whatever the thread count.
 */
public final class PretrainExamples {
    static final int FRAME_SIDE = 64;
    static final int SAMPLE_RATE = 16000;
    /** The paired-arch placeholders AvFrontEnd needs (one modality is used at a time). */
    private static final String ANY_VISUAL = "swinv2_mini_window4_64";
    private static final String ANY_AUDIO = "htsat_mini";

    /** Labelled inputs: [n, 3, S, S] frames or [n, frames, mel] log-mel, and labels [n] in 0..classes. */
    public record Batch(Tensor inputs, int[] labels) implements AutoCloseable {
        @Override
        public void close() {
            inputs.close();
        }
    }

    private final String arch;
    private final boolean audio;
    private final int classes;
    private final PretrainTarget target;
    private final long seed;
    private final AvFrontEnd frontEnd;

    /**
     * @param arch    the backbone the inputs are for (its input kind picks the modality)
     * @param classes classes in use, 1..28 (the first ones of the synthetic sets)
     * @param seed    the stream seed; different seeds give independent examples
     */
    public PretrainExamples(String arch, int classes, long seed) {
        this(arch, classes, PretrainTarget.CLASS, seed);
    }

    /**
     * @param target what the labels name; must apply to the arch's modality
     */
    public PretrainExamples(String arch, int classes, PretrainTarget target, long seed) {
        if (classes < 1 || classes > SyntheticStimuli.CLASSES) {
            throw new IllegalArgumentException("--classes must be between 1 and " + SyntheticStimuli.CLASSES + ", got " + classes);
        }
        this.arch = arch;
        this.audio = Architectures.takesSpectrograms(arch);
        target.checkFor(arch, audio);
        this.classes = classes;
        this.target = target;
        this.seed = seed;
        this.frontEnd = audio ? AvFrontEnd.forArchs(ANY_VISUAL, arch) : AvFrontEnd.forArchs(arch, ANY_AUDIO);
    }

    public boolean isAudio() {
        return audio;
    }

    public String arch() {
        return arch;
    }

    public PretrainTarget target() {
        return target;
    }

    /** The target's labels of the classes in use, + 1 (the "nothing" label). */
    public int labelCount() {
        return target.labelsFor(classes) + 1;
    }

    /** Examples first .. first+n-1 of this stream, made in parallel, deterministic. */
    public Batch batch(Backend backend, long first, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + n);
        }
        int[] labels = new int[n];
        if (audio) {
            int[] seg = frontEnd.audioSegmentShape();
            int per = seg[0] * seg[1];
            float[] all = new float[n * per];
            IntStream.range(0, n).parallel().forEach(i -> {
                SplittableRandom rng = random(first + i);
                int k = drawClass(rng);
                labels[i] = label(k);
                float[] samples = sound(k, rng);
                float[] features = frontEnd.audioFeatures(Audio.mono(samples, SAMPLE_RATE), 1);
                System.arraycopy(features, 0, all, i * per, per);
            });
            return new Batch(Tensor.of(backend, all, n, seg[0], seg[1]), labels);
        }
        int side = frontEnd.frameSide();
        int per = 3 * side * side;
        float[] all = new float[n * per];
        IntStream.range(0, n).parallel().forEach(i -> {
            SplittableRandom rng = random(first + i);
            int k = drawClass(rng);
            labels[i] = label(k);
            System.arraycopy(frontEnd.frame(image(k, rng)), 0, all, i * per, per);
        });
        return new Batch(Tensor.of(backend, all, n, 3, side, side), labels);
    }

    /** The raw image of example i (for inspection and tests). */
    public RgbImage imageOf(long index) {
        if (audio) {
            throw new IllegalStateException(arch + " takes audio; there is no image");
        }
        SplittableRandom rng = random(index);
        return image(drawClass(rng), rng);
    }

    /** The raw one-second sound of example i at {@value #SAMPLE_RATE} Hz. */
    public float[] soundOf(long index) {
        if (!audio) {
            throw new IllegalStateException(arch + " takes frames; there is no sound");
        }
        SplittableRandom rng = random(index);
        return sound(drawClass(rng), rng);
    }

    public int labelOf(long index) {
        return label(classOf(index));
    }

    /** The synthetic class example i shows or plays, or {@code classes} for "nothing". */
    public int classOf(long index) {
        return drawClass(random(index));
    }

    private SplittableRandom random(long index) {
        // splitmix-style mixing of (seed, index) so neighbouring seeds and indices give unrelated streams
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        return new SplittableRandom(z);
    }

    /** A class index, or classes for "nothing" (one draw, so the stream does not depend on the target). */
    private int drawClass(SplittableRandom rng) {
        return rng.nextInt(classes + 1);
    }

    private int label(int k) {
        return k < classes ? target.labelOfClass(k) : target.labelsFor(classes);
    }

    private RgbImage image(int label, SplittableRandom rng) {
        List<PlacedObject> objects = new ArrayList<>(2);
        double radius = FRAME_SIDE * (0.12 + 0.14 * rng.nextDouble());
        double cx = radius + rng.nextDouble() * (FRAME_SIDE - 2 * radius);
        double cy = radius + rng.nextDouble() * (FRAME_SIDE - 2 * radius);
        boolean distractor = classes >= 2 && label < classes && rng.nextBoolean();
        if (distractor) {
            int other = otherClass(label, rng);
            double r = radius * (0.55 + 0.3 * rng.nextDouble());
            double dx = r + rng.nextDouble() * (FRAME_SIDE - 2 * r);
            double dy = r + rng.nextDouble() * (FRAME_SIDE - 2 * r);
            objects.add(new PlacedObject(other, dx, dy, r));
        }
        if (label < classes) {
            objects.add(new PlacedObject(label, cx, cy, radius));
        }
        return SyntheticStimuli.image(FRAME_SIDE, FRAME_SIDE, objects, rng);
    }

    private float[] sound(int label, SplittableRandom rng) {
        List<HeardClass> heard = new ArrayList<>(2);
        double noise = 0.005 + 0.045 * rng.nextDouble();
        if (label < classes) {
            double gain = 0.2 + 0.4 * rng.nextDouble();
            heard.add(new HeardClass(label, gain));
            if (classes >= 2 && rng.nextBoolean()) {
                heard.add(new HeardClass(otherClass(label, rng), gain * (0.15 + 0.45 * rng.nextDouble())));
            }
        }
        return SyntheticStimuli.sound(heard, 1.0, SAMPLE_RATE, noise, rng);
    }

    private int otherClass(int label, SplittableRandom rng) {
        int k = rng.nextInt(classes - 1);
        return k >= label ? k + 1 : k;
    }
}
