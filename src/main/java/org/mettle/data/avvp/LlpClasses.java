package org.mettle.data.avvp;

import java.util.List;
import org.mettle.data.loader.ClassList;

/**
 * The 25 event classes of the Look, Listen and Parse (LLP) dataset for audio-visual video parsing (Tian et al.,
 * "Unified Multisensory Perception: Weakly-Supervised Audio-Visual Video Parsing", ECCV 2020), spelled as in the
 * AVVP_*.csv files and in the order of the public AVVP code's category list (github.com/YapengTian/AVVP-ECCV20,
 * dataloader.py).
 */
public final class LlpClasses {
    public static final ClassList CLASSES = new ClassList("LLP", List.of(
            "Speech", "Car", "Cheering", "Dog", "Cat", "Frying_(food)", "Basketball_bounce", "Fire_alarm", "Chainsaw", "Cello",
            "Banjo", "Singing", "Chicken_rooster", "Violin_fiddle", "Vacuum_cleaner", "Baby_laughter", "Accordion", "Lawn_mower",
            "Motorcycle", "Helicopter", "Acoustic_guitar", "Telephone_bell_ringing", "Baby_cry_infant_cry", "Blender", "Clapping"));

    public static final int COUNT = 25;
    /** One-second segments per 10 s video. */
    public static final int SEGMENTS = 10;

    private LlpClasses() {}
}
