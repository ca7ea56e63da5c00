package org.mettle.data.ave;

import java.util.List;
import org.mettle.data.loader.ClassList;

/**
 * The 28 event classes of AVE (Tian et al., "Audio-Visual Event Localization in Unconstrained Videos", ECCV 2018),
 * spelled as in the dataset's Annotations.txt and in this order, which is the order of the public AVE code's
 * category list (github.com/YapengTian/AVE-ECCV18; reproduced in later AVE repositories as STANDARD_AVE_DATASET).
 * Index 28 is background.
 */
public final class AveClasses {
    public static final ClassList CLASSES = new ClassList("AVE", List.of(
            "Church bell", "Male speech, man speaking", "Bark", "Fixed-wing aircraft, airplane", "Race car, auto racing",
            "Female speech, woman speaking", "Helicopter", "Violin, fiddle", "Flute", "Ukulele", "Frying (food)", "Truck",
            "Shofar", "Motorcycle", "Acoustic guitar", "Train horn", "Clock", "Banjo", "Goat", "Baby cry, infant cry", "Bus",
            "Chainsaw", "Cat", "Horse", "Toilet flush", "Rodents, rats, mice", "Accordion", "Mandolin"));

    /** Number of event classes (28). */
    public static final int COUNT = 28;
    /** Label of a segment without the event. */
    public static final int BACKGROUND = 28;
    /** One-second segments per video. */
    public static final int SEGMENTS = 10;

    private AveClasses() {}
}
