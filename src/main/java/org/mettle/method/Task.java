package org.mettle.method;

/** The audio-visual tasks with classification heads. */
public enum Task {
    /** Audio-visual event localization: 29-way per segment. */
    AVE,
    /** Audio-visual video parsing: 25 classes, weak video labels. */
    AVVP;

    public static Task parse(String s) {
        for (Task t : values()) {
            if (t.name().equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown task '" + s + "': expected ave or avvp");
    }
}
