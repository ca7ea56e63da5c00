package org.mettle.data.av;

import java.nio.file.Path;
import java.util.List;
import org.mettle.data.audio.Audio;
import org.mettle.data.audio.WavReader;
import org.mettle.data.image.ImageDecoder;
import org.mettle.data.loader.PrefetchLoader;

/**
 * Loads clips into {@link AvBatch}es through {@link AvFrontEnd}: the middle frame of each of the first T segments
 * ({@code ClipMedia.middleFrames()}) and the WAV's first T seconds, batched by {@link PrefetchLoader} (order fixed
 * by seed and epoch, whatever the worker threads do).
 */
public final class AvBatches {
    private AvBatches() {}

    /** One loaded clip: T frames and T segments of audio features. */
    public record Loaded(AvClip clip, float[] frames, float[] audio) {}

    /** Frames [T * 3 * S * S] and audio features [T * frames * mel] of one clip. */
    public static Loaded load(AvClip clip, AvFrontEnd frontEnd, int segments) {
        List<Path> middle = clip.media().middleFrames();
        if (middle.size() < segments) {
            throw new IllegalArgumentException("video " + clip.id() + " has frames for " + middle.size() + " segments, needs " + segments);
        }
        int side = frontEnd.frameSide();
        int per = 3 * side * side;
        float[] frames = new float[segments * per];
        for (int s = 0; s < segments; s++) {
            System.arraycopy(frontEnd.frame(ImageDecoder.read(middle.get(s))), 0, frames, s * per, per);
        }
        Audio audio = WavReader.read(clip.media().audio());
        return new Loaded(clip, frames, frontEnd.audioFeatures(audio, segments));
    }

    /** Concatenates loaded clips into one batch. */
    public static AvBatch collate(List<Loaded> items, AvFrontEnd frontEnd, int segments) {
        int side = frontEnd.frameSide();
        int[] seg = frontEnd.audioSegmentShape();
        int n = items.size();
        int framesPer = segments * 3 * side * side;
        int audioPer = segments * seg[0] * seg[1];
        float[] frames = new float[n * framesPer];
        float[] audio = new float[n * audioPer];
        for (int i = 0; i < n; i++) {
            System.arraycopy(items.get(i).frames(), 0, frames, i * framesPer, framesPer);
            System.arraycopy(items.get(i).audio(), 0, audio, i * audioPer, audioPer);
        }
        return new AvBatch(items.stream().map(Loaded::clip).toList(), segments, frames, new int[] {n * segments, 3, side, side},
                audio, new int[] {n * segments, seg[0], seg[1]});
    }

    /**
     * Batches of clips in a shuffled order seeded by (shuffleSeed, epoch) when shuffle is set, else in order; the
     * last batch may be smaller.
     */
    public static PrefetchLoader<AvClip, Loaded, AvBatch> loader(List<AvClip> clips, AvFrontEnd frontEnd, int segments, int batchSize,
                                                                  boolean shuffle, long shuffleSeed, int epoch, int workers) {
        PrefetchLoader.Builder<AvClip, Loaded, AvBatch> b = PrefetchLoader.<AvClip, Loaded, AvBatch>builder(clips,
                        (clip, random) -> load(clip, frontEnd, segments), items -> collate(items, frontEnd, segments))
                .batchSize(batchSize).epoch(epoch).workers(workers).prefetch(Math.max(2, workers)).sampleId(AvClip::id);
        if (shuffle) {
            b.shuffle(shuffleSeed);
        }
        return b.build();
    }
}
