package org.mettle.data.avs;

import java.util.List;
import org.mettle.data.loader.ClassList;

/**
 * The 23 sound-source categories of AVSBench's single-source subset S4 (Zhou et al., "Audio-Visual Segmentation",
 * ECCV 2022), spelled as the category column and folders of s4_meta_data.csv / s4_data (as listed in public
 * AVSBench loaders, e.g. github.com/OpenNLPLab/AVSBench). MS3 rows carry no category the reader needs.
 */
public final class AvsClasses {
    public static final ClassList S4_CATEGORIES = new ClassList("AVSBench S4", List.of(
            "helicopter", "mynah_bird_singing", "typing_on_computer_keyboard", "playing_violin", "playing_glockenspiel",
            "playing_piano", "lions_roaring", "baby_laughter", "male_speech", "lawn_mowing", "playing_ukulele", "playing_tabla",
            "driving_buses", "cap_gun_shooting", "chainsawing_trees", "playing_acoustic_guitar", "cat_meowing", "female_singing",
            "ambulance_siren", "dog_barking", "horse_clip-clop", "coyote_howling", "race_car"));

    /** Frames (one per second) per 5 s clip. */
    public static final int FRAMES = 5;

    private AvsClasses() {}
}
