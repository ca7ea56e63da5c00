package org.mettle.data.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.data.audio.WavEncoding;
import org.mettle.data.audio.WavWriter;
import org.mettle.data.image.ImageEncoder;
import org.mettle.data.image.RgbImage;

/** The --frames DIR --audio file.wav form (no ffmpeg) and the argument checks. */
class MediaSourceTest {
    @TempDir
    Path dir;

    @Test
    void framesAndWavWithoutFfmpeg() throws IOException {
        Path frames = Files.createDirectories(dir.resolve("frames"));
        for (int k : new int[] {10, 2, 1}) { // natural order: 1, 2, 10
            byte[] px = new byte[4 * 3 * 3];
            java.util.Arrays.fill(px, (byte) k);
            ImageEncoder.writePng(RgbImage.of(4, 3, px), frames.resolve(k + ".png"));
        }
        float[] audio = new float[800];
        for (int i = 0; i < audio.length; i++) {
            audio[i] = (i % 100) / 100f - 0.5f;
        }
        Path wav = dir.resolve("a.wav");
        WavWriter.writeMono(wav, audio, 8000, WavEncoding.PCM_S16);
        MediaSource.MediaInput in = MediaSource.open(null, frames, wav, VideoDecoder.Options.defaults());
        assertEquals(3, in.frames().size());
        assertEquals(1, in.frames().get(0).get(0, 0, 0));
        assertEquals(2, in.frames().get(1).get(0, 0, 0));
        assertEquals(10, in.frames().get(2).get(0, 0, 0));
        assertEquals(8000, in.sampleRate());
        assertEquals(800, in.audio().length);
        for (int i = 0; i < audio.length; i++) {
            assertEquals(audio[i], in.audio()[i], 1.0 / 32767, "sample " + i);
        }
    }

    @Test
    void argumentErrorsSayWhatIsMissing() {
        VideoDecoder.Options o = VideoDecoder.Options.defaults();
        Path p = dir.resolve("x");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MediaSource.open(p, p, null, o)).getMessage().contains("not both"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MediaSource.open(null, p, null, o)).getMessage().contains("--audio is missing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MediaSource.open(null, null, p, o)).getMessage().contains("--frames is missing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MediaSource.open(null, p, p, o)).getMessage().contains("not a directory"));
    }
}
