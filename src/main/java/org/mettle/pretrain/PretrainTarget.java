package org.mettle.pretrain;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a pretraining label names. {@link #CLASS} is the synthetic class itself; the others are coarser attributes of
 * it, so a backbone pretrained on them has no reason to keep the rest of what tells classes apart in its last layers
 * (like a real backbone pretrained on ImageNet or AudioSet labels, not the downstream task's):
 * <ul>
 *   <li>{@link #SHAPE}: class k's shape, k % 7 (visual only; {@code ClassLook})</li>
 *   <li>{@link #TEXTURE}: class k's texture, (k / 7) % 4 (visual only)</li>
 *   <li>{@link #TIMBRE}: class k's harmonic profile, k % 4 (audio only; {@code ClassSound})</li>
 * </ul>
 */
public enum PretrainTarget {
    CLASS(true, true),
    SHAPE(true, false),
    TEXTURE(true, false),
    TIMBRE(false, true);

    private final boolean visual;
    private final boolean audio;

    PretrainTarget(boolean visual, boolean audio) {
        this.visual = visual;
        this.audio = audio;
    }

    /** The lower-case name the CLI and the checkpoint metadata use. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a CLI value (case-insensitive), naming the accepted ones when it is none of them. */
    public static PretrainTarget parse(String text) {
        for (PretrainTarget t : values()) {
            if (t.id().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException("--target '" + text + "' is unknown; use one of " + ids(Arrays.asList(values())));
    }

    public boolean appliesTo(boolean audioArch) {
        return audioArch ? audio : visual;
    }

    /** Throws, saying which targets the arch accepts, when this target is for the other modality. */
    public void checkFor(String arch, boolean audioArch) {
        if (!appliesTo(audioArch)) {
            List<PretrainTarget> ok = Arrays.stream(values()).filter(t -> t.appliesTo(audioArch)).toList();
            throw new IllegalArgumentException("--target " + id() + " does not apply to " + arch + " (" + (audioArch ? "audio" : "visual")
                    + " backbone); use one of " + ids(ok));
        }
    }

    /** The label of synthetic class k under this target. */
    public int labelOfClass(int k) {
        return switch (this) {
            case CLASS -> k;
            case SHAPE -> k % 7;
            case TEXTURE -> (k / 7) % 4;
            case TIMBRE -> k % 4;
        };
    }

    /** Distinct labels of classes 0..classes-1 (they are 0..n-1): the label of "nothing" is this number. */
    public int labelsFor(int classes) {
        return switch (this) {
            case CLASS -> classes;
            case SHAPE -> Math.min(classes, 7);
            case TEXTURE -> Math.min((classes - 1) / 7 + 1, 4);
            case TIMBRE -> Math.min(classes, 4);
        };
    }

    private static String ids(List<PretrainTarget> targets) {
        return String.join("|", targets.stream().map(PretrainTarget::id).toList());
    }
}
