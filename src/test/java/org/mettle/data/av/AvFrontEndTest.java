package org.mettle.data.av;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.mettle.backend.Backends;
import org.mettle.data.audio.Audio;
import org.mettle.data.image.RgbImage;
import org.mettle.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AvFrontEndTest {
    private static float[] tone(int rate, double seconds, double hz, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[(int) Math.round(rate * seconds)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.3 * Math.sin(2 * Math.PI * hz * i / rate) + 0.01 * r.nextGaussian());
        }
        return x;
    }

    @Test
    void htsatSegmentsAreOneSecondSlicesZeroPadded() {
        AvFrontEnd fe = AvFrontEnd.forArchs("swinv2_mini_window4_64", "htsat_mini");
        assertArrayEquals(new int[] {101, 32}, fe.audioSegmentShape());
        float[] clip = tone(32000, 2.5, 440, 1);
        float[] all = fe.audioFeatures(Audio.mono(clip, 32000), 3);
        // segment 1 of the clip == segment 0 of the clip cut at 1 s
        float[] shifted = fe.audioFeatures(Audio.mono(Arrays.copyOfRange(clip, 32000, clip.length), 32000), 1);
        int per = 101 * 32;
        assertArrayEquals(shifted, Arrays.copyOfRange(all, per, 2 * per), 0f);
        // segment 2 holds 0.5 s of tone then silence: its last frames are the floor, its first are not
        float first = all[2 * per];
        float last = all[3 * per - 1];
        assertTrue(first > last + 20, "tone frames above the silent padding: " + first + " vs " + last);
        // a segment past the end is all silence
        float[] beyond = fe.audioFeatures(Audio.mono(clip, 32000), 4);
        for (int i = 3 * per; i < 4 * per; i++) {
            assertEquals(beyond[3 * per], beyond[i], 0f);
        }
    }

    @Test
    void resamplesToTheBackboneRate() {
        AvFrontEnd fe = AvFrontEnd.forArchs("swinv2_mini_window4_64", "htsat_mini");
        float[] at16k = tone(16000, 1.0, 1000, 2);
        try (Tensor t = fe.audio(Backends.cpu(), Audio.mono(at16k, 16000), 1)) {
            assertEquals(org.mettle.tensor.Shape.of(1, 101, 32), t.shape());
            float[] v = t.toFloatArray();
            // the 1 kHz tone's mel bin is the loudest of a middle frame
            int frame = 50;
            int best = 0;
            for (int b = 1; b < 32; b++) {
                if (v[frame * 32 + b] > v[frame * 32 + best]) {
                    best = b;
                }
            }
            double mel = 2595 * Math.log10(1 + 1000 / 700.0);
            double lo = 2595 * Math.log10(1 + 50 / 700.0);
            double hi = 2595 * Math.log10(1 + 14000 / 700.0);
            int expected = (int) Math.round((mel - lo) / (hi - lo) * 33) - 1;
            assertTrue(Math.abs(best - expected) <= 1, "1 kHz lands in mel bin " + best + ", expected about " + expected);
        }
    }

    @Test
    void astSegmentsArePaddedToTheArchFrames() {
        AvFrontEnd fe = AvFrontEnd.forArchs("vit_test_patch8_32", "ast_test_patch16_32x57");
        assertArrayEquals(new int[] {57, 32}, fe.audioSegmentShape());
        float[] f = fe.audioFeatures(Audio.mono(tone(16000, 1.0, 500, 3), 16000), 1);
        assertEquals(57 * 32, f.length);
        assertTrue(Arrays.stream(boxed(f)).anyMatch(x -> x != 0f));
    }

    @Test
    void framesAreResizedAndNormalised() {
        AvFrontEnd fe = AvFrontEnd.forArchs("swinv2_mini_window4_64", "htsat_mini");
        byte[] rgb = new byte[80 * 50 * 3];
        Arrays.fill(rgb, (byte) 255);
        try (Tensor t = fe.framesOfImages(Backends.cpu(), List.of(RgbImage.of(80, 50, rgb), RgbImage.of(80, 50, rgb)))) {
            assertEquals(org.mettle.tensor.Shape.of(2, 3, 64, 64), t.shape());
            float[] v = t.toFloatArray();
            assertEquals((1f - 0.485f) / 0.229f, v[0], 1e-4f);
            assertEquals((1f - 0.406f) / 0.225f, v[v.length - 1], 1e-4f);
        }
    }

    @Test
    void rejectsSwappedModalities() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AvFrontEnd.forArchs("htsat_mini", "swinv2_mini_window4_64"));
        assertTrue(e.getMessage().contains("htsat_mini"), e.getMessage());
    }

    private static Float[] boxed(float[] f) {
        Float[] o = new Float[f.length];
        for (int i = 0; i < f.length; i++) {
            o[i] = f[i];
        }
        return o;
    }
}
