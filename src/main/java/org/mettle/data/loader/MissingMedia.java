package org.mettle.data.loader;

/** What a dataset reader does when a sample's frames or audio are missing. */
public enum MissingMedia {
    /** Stop with a {@link DataFormatException} naming the annotation line and the missing path (the default). */
    ERROR,
    /** Leave the sample out and count it in the {@link ReadReport} under "missing frames" / "missing audio". */
    SKIP,
    /** Do not look at the media at all (annotations only); frame lists are empty and audio paths unchecked. */
    IGNORE
}
