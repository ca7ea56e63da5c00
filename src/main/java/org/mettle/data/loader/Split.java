package org.mettle.data.loader;

import java.util.Locale;

/** Dataset splits. */
public enum Split {
    TRAIN, VAL, TEST;

    /** "train", "val", "test": the spelling the AVSBench CSVs use. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Split parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "train", "training" -> TRAIN;
            case "val", "valid", "validation" -> VAL;
            case "test", "testing" -> TEST;
            default -> throw new IllegalArgumentException("unknown split '" + s + "'; use train, val or test");
        };
    }
}
