package org.mettle.data.avvp;

/** One annotated event of an evaluation video: class, onset and offset in seconds; source is "file:line". */
public record AvvpEvent(int classIndex, double onset, double offset, String source) {
    public String className() {
        return LlpClasses.CLASSES.name(classIndex);
    }
}
