package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mettle.tensor.DType;

/**
 * Reads the file src/test/python/make_safetensors_fixtures.py wrote with PyTorch, where torch did every dtype
 * conversion. Expected values are either restated from the script or stored beside the tensors by torch itself.
 */
class SafetensorsTorchFixtureTest {
    private static SafetensorsFile file;

    @BeforeAll
    static void open() throws Exception {
        Path path = Path.of(SafetensorsTorchFixtureTest.class.getResource("/safetensors/torch_fixtures.safetensors").toURI());
        file = SafetensorsFile.open(path);
    }

    @AfterAll
    static void close() {
        file.close();
    }

    @Test
    void headerWithEscapesIsReadAndNamesAreSorted() {
        assertEquals(List.of("bf16", "bf16_as_f32", "empty", "f16", "f16_as_f32", "f32", "i32", "i64", "i64_small", "odd_f16",
                "round_bf16", "round_f16", "round_src", "scalar", "unicode.\u00e9.\uD83D\uDE42"), file.names());
        assertEquals(Map.of("format", "pt", "producer", "make_safetensors_fixtures.py",
                "escapes", "quote\" back\\ tab\t \u00fc \uD83D\uDE42"), file.metadata());
        assertArrayEquals(new float[] {7f}, file.readFloats("unicode.\u00e9.\uD83D\uDE42"));
    }

    @Test
    void f32MatchesTheScript() {
        float[] want = new float[12];
        for (int i = 0; i < 12; i++) {
            want[i] = i * 0.25f - 1f;
        }
        want[1] = Float.POSITIVE_INFINITY;
        want[4] = Float.NaN;
        want[7] = -0f;
        want[9] = 1e-40f;
        want[10] = Float.MAX_VALUE;
        assertArrayEquals(new int[] {3, 4}, file.info("f32").shape());
        assertBitsEqual(want, file.readFloats("f32"), "f32");
    }

    @Test
    void f16IncludingSubnormalsInfNanAndNegativeZeroWidensLikeTorch() {
        TensorInfo info = file.info("f16");
        assertEquals(DType.F16, info.dtype());
        assertArrayEquals(new int[] {2, 3, 5}, info.shape());
        float[] got = file.readFloats("f16");
        assertBitsEqual(file.readFloats("f16_as_f32"), got, "f16 vs torch's .float()");
        float[] specials = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0x1p-24f, 0x3p-24f, 1023 * 0x1p-24f,
            -0x1p-24f, 0x1p-14f, 65504f, -65504f};
        for (int i = 0; i < specials.length; i++) {
            assertEquals(Float.floatToIntBits(specials[i]), Float.floatToIntBits(got[i]), "f16 special " + i);
        }
    }

    @Test
    void bf16IncludingSubnormalsWidensLikeTorch() {
        float[] got = file.readFloats("bf16");
        assertBitsEqual(file.readFloats("bf16_as_f32"), got, "bf16 vs torch's .float()");
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(got[1]));
        assertTrue(Float.isNaN(got[4]));
        assertTrue(got[5] > 0 && got[5] < Float.MIN_NORMAL, "1e-40 stays a bf16 subnormal: " + got[5]);
        assertEquals(3.3895313892515355e38f, got[8], "largest finite bf16");
    }

    @Test
    void narrowingMatchesTorchRoundToNearestEven() {
        float[] src = file.readFloats("round_src");
        ByteBuffer f16 = file.bytes("round_f16");
        ByteBuffer bf16 = file.bytes("round_bf16");
        assertEquals(src.length * 2, f16.remaining());
        int checked = 0;
        for (int i = 0; i < src.length; i++) {
            short torchF16 = f16.getShort(2 * i);
            short torchBf16 = bf16.getShort(2 * i);
            if (Float.isNaN(src[i])) {
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(src[i]))));
                assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(src[i]))));
                continue;
            }
            int index = i;
            assertEquals(torchF16, HalfFloats.floatToF16(src[i]),
                    () -> "F16 of " + src[index] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(src[index])) + ")");
            assertEquals(torchBf16, HalfFloats.floatToBf16(src[i]),
                    () -> "BF16 of " + src[index] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(src[index])) + ")");
            checked++;
        }
        assertTrue(checked > 400, "checked " + checked + " values");
    }

    @Test
    void integersScalarsAndEmptyTensors() {
        assertArrayEquals(new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}, file.readInts("i32"));
        assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, 1, 1L << 31, Long.MAX_VALUE}, file.readLongs("i64"));
        assertArrayEquals(new int[] {2, 3}, file.info("i64").shape());
        assertArrayEquals(new int[] {Integer.MIN_VALUE, -7, 0, Integer.MAX_VALUE}, file.readInts("i64_small"));
        SafetensorsException tooBig = assertThrows(SafetensorsException.class, () -> file.readInts("i64"));
        assertTrue(tooBig.getMessage().contains("torch_fixtures.safetensors") && tooBig.getMessage().contains("'i64'"), tooBig.getMessage());
        assertArrayEquals(new int[0], file.info("scalar").shape());
        assertArrayEquals(new float[] {3.5f}, file.readFloats("scalar"));
        assertArrayEquals(new int[] {0, 3}, file.info("empty").shape());
        assertEquals(0, file.readFloats("empty").length);
        assertArrayEquals(new float[] {1f, 2f, 3f}, file.readFloats("odd_f16"));
    }

    private static void assertBitsEqual(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(want[i]) && Float.isNaN(got[i])) {
                continue;
            }
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                    what + " element " + i + ": " + want[i] + " vs " + got[i]);
        }
    }
}
