package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Checks the conversions against naive references built from the format definitions with double arithmetic. */
class HalfFloatsTest {

    /** F16 value from its definition: (-1)^s * 2^(e-15) * (1 + m/1024), subnormals 2^-14 * m/1024. */
    private static double f16Reference(int h) {
        int s = (h >>> 15) & 1;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        double sign = s == 1 ? -1 : 1;
        if (e == 0x1f) {
            return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        }
        if (e == 0) {
            return sign * Math.scalb((double) m, -24);
        }
        return sign * Math.scalb(1 + m / 1024.0, e - 15);
    }

    @Test
    void f16WideningIsExactForAllBitPatterns() {
        for (int h = 0; h < 0x10000; h++) {
            float got = HalfFloats.f16ToFloat((short) h);
            double want = f16Reference(h);
            if (Double.isNaN(want)) {
                assertTrue(Float.isNaN(got), "bits " + Integer.toHexString(h));
                // Payload and sign are kept.
                assertEquals(h & 0x3ff, (Float.floatToRawIntBits(got) >>> 13) & 0x3ff);
                assertEquals(h >>> 15, Float.floatToRawIntBits(got) >>> 31);
            } else {
                assertEquals(want, got, 0.0, "bits " + Integer.toHexString(h));
                assertEquals(Double.doubleToRawLongBits(want) >>> 63, Float.floatToRawIntBits(got) >>> 31L, "sign of " + h);
            }
        }
    }

    @Test
    void f16RoundTripIsIdentityForAllNonNaNPatterns() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.f16ToFloat((short) h);
            short back = HalfFloats.floatToF16(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(back)));
            } else {
                assertEquals(h, back & 0xffff, "bits " + Integer.toHexString(h));
            }
        }
    }

    @Test
    void bf16RoundTripIsIdentityForAllNonNaNPatterns() {
        for (int b = 0; b < 0x10000; b++) {
            float f = HalfFloats.bf16ToFloat((short) b);
            assertEquals(b << 16, Float.floatToRawIntBits(f));
            short back = HalfFloats.floatToBf16(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(back)), "NaN stays NaN, bits " + Integer.toHexString(b));
            } else {
                assertEquals(b, back & 0xffff);
            }
        }
    }

    @Test
    void f16NarrowingMatchesNearestEvenReference() {
        // All finite non-negative halves, increasing with the bits, then 65536 standing in for infinity (0x7c00):
        // the rounding boundary past 65504 is as if the exponent range went on.
        double[] positiveHalves = new double[0x7c01];
        for (int h = 0; h < 0x7c00; h++) {
            positiveHalves[h] = f16Reference(h);
        }
        positiveHalves[0x7c00] = 65536.0;
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 400_000; i++) {
            // Floats spread over the exponents near the F16 range, plus fully random bit patterns.
            float f = i % 4 == 0 ? Float.intBitsToFloat(random.nextInt())
                    : Float.intBitsToFloat((random.nextInt(0x60 << 23) + (0x50 << 23)) | (random.nextBoolean() ? 0x80000000 : 0));
            checkF16(f, positiveHalves);
        }
        float[] edges = {0f, -0f, 65504f, 65519.996f, 65520f, -65520f, Float.MAX_VALUE, 0x1p-24f, 0x1p-25f, Math.nextUp(0x1p-25f),
            0x3p-25f, 0x1p-26f, Float.MIN_VALUE, 0x1p-14f, Math.nextDown(0x1p-14f), 1 + 0x1p-11f, 1 + 0x3p-11f, 2047f, 2049f, 4097f};
        for (float f : edges) {
            checkF16(f, positiveHalves);
            checkF16(-f, positiveHalves);
        }
    }

    private static void checkF16(float f, double[] positiveHalves) {
        short got = HalfFloats.floatToF16(f);
        if (Float.isNaN(f)) {
            assertTrue(Float.isNaN(HalfFloats.f16ToFloat(got)));
            return;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        double x = Math.abs((double) f);
        int want;
        if (x >= 65536.0) {
            want = 0x7c00;
        } else {
            int idx = Arrays.binarySearch(positiveHalves, x);
            if (idx >= 0) {
                want = idx;
            } else {
                int above = -idx - 1;
                int below = above - 1;
                double dBelow = x - positiveHalves[below];
                double dAbove = positiveHalves[above] - x;
                want = dBelow < dAbove ? below : dAbove < dBelow ? above : (below % 2 == 0 ? below : above);
            }
        }
        assertEquals(sign | want, got & 0xffff, () -> "f16 of " + f + " (" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
    }

    @Test
    void bf16NarrowingMatchesNearestEvenReference() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 400_000; i++) {
            int bits = random.nextInt();
            if (i % 3 == 0) {
                bits = (bits & 0xffff0000) | 0x8000; // exact midpoints
            }
            checkBf16(Float.intBitsToFloat(bits));
        }
        for (float f : new float[] {Float.MAX_VALUE, Float.MIN_VALUE, 0f, -0f, 1e-40f, Float.POSITIVE_INFINITY}) {
            checkBf16(f);
            checkBf16(-f);
        }
    }

    private static void checkBf16(float f) {
        short got = HalfFloats.floatToBf16(f);
        if (Float.isNaN(f)) {
            assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(got)), "NaN " + Integer.toHexString(Float.floatToRawIntBits(f)));
            return;
        }
        int bits = Float.floatToRawIntBits(f);
        int down = bits >>> 16;
        int up = down + 1;
        double x = f;
        double vDown = Float.intBitsToFloat(down << 16);
        // The value above the largest finite bf16 is infinity; measure it as 2^128 for the distance.
        double vUp = (up & 0x7fff) == 0x7f80 ? Math.copySign(Math.scalb(1.0, 128), x) : Float.intBitsToFloat(up << 16);
        int want;
        if ((bits & 0xffff) == 0) {
            want = down;
        } else {
            double dDown = Math.abs(x - vDown);
            double dUp = Math.abs(vUp - x);
            want = dDown < dUp ? down : dUp < dDown ? up : (down % 2 == 0 ? down : up);
        }
        assertEquals(want & 0xffff, got & 0xffff, () -> "bf16 of " + f + " (" + Integer.toHexString(bits) + ")");
    }

    @Test
    void nanAndInfinityAreKept() {
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))));
        // A NaN whose payload lives only in the low bits would truncate to infinity without the quiet bit.
        float lowPayloadNaN = Float.intBitsToFloat(0x7f800001);
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(lowPayloadNaN))));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(lowPayloadNaN))));
        assertEquals((short) 0x7c00, HalfFloats.floatToF16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xfc00, HalfFloats.floatToF16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7f80, HalfFloats.floatToBf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xff80, HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x8000, HalfFloats.floatToF16(-0f));
        assertEquals((short) 0x8000, HalfFloats.floatToBf16(-0f));
    }

    @Test
    void bulkHelpersAgreeWithScalarOnesInEitherBufferOrder() {
        float[] values = {1f, -2.5f, 0x1p-24f, 65504f, Float.NaN, -0f, 3.14159f};
        short[] f16 = HalfFloats.toF16(values);
        short[] bf16 = HalfFloats.toBf16(values);
        for (int i = 0; i < values.length; i++) {
            assertEquals(HalfFloats.floatToF16(values[i]), f16[i]);
            assertEquals(HalfFloats.floatToBf16(values[i]), bf16[i]);
        }
        assertArrayEquals(bitsOf(HalfFloats.fromF16(f16)), bitsOf(widen(f16, true)));
        assertArrayEquals(bitsOf(HalfFloats.fromBf16(bf16)), bitsOf(widen(bf16, false)));
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            ByteBuffer buf = ByteBuffer.allocate(2 + 2 * f16.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.putShort((short) 0); // skipped: conversion starts at the position
            for (short s : f16) {
                buf.putShort(s);
            }
            buf.flip().position(2);
            buf.order(order);
            float[] out = new float[f16.length + 1];
            HalfFloats.f16ToFloats(buf, out, 1, f16.length);
            assertEquals(buf.limit(), buf.position(), "position advances");
            assertArrayEquals(bitsOf(HalfFloats.fromF16(f16)), bitsOf(Arrays.copyOfRange(out, 1, out.length)),
                    "bytes are read little-endian whatever the buffer's order: " + order);
        }
    }

    private static float[] widen(short[] halves, boolean f16) {
        float[] out = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            out[i] = f16 ? HalfFloats.f16ToFloat(halves[i]) : HalfFloats.bf16ToFloat(halves[i]);
        }
        return out;
    }

    private static int[] bitsOf(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}
