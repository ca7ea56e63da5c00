package org.mettle.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Conversions between float and the 16-bit storage formats: IEEE binary16 (F16) and bfloat16 (BF16).
 *
 * <p>Widening (16 -> 32 bits) is exact for every input, including F16 subnormals, infinities and NaN (the NaN
 * payload and sign are kept). Narrowing (32 -> 16 bits) rounds to nearest, ties to even, like PyTorch: values
 * past the largest finite value become infinity, values below half the smallest subnormal become (signed) zero,
 * and NaN stays a quiet NaN.
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** Largest finite F16 value (65504). */
    public static final float F16_MAX = 65504f;

    // ---- F16 ----

    /** Widens F16 bits to float exactly. */
    public static float f16ToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            // Zero or subnormal: mant * 2^-24, exact in float (the result is a normal float or zero).
            float magnitude = mant * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Narrows a float to F16 bits, rounding to nearest even. */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            if (mant == 0) {
                return (short) (sign | 0x7c00);
            }
            // Keep the top payload bits and force the quiet bit so the result is still a NaN.
            return (short) (sign | 0x7e00 | (mant >>> 13));
        }
        int halfExp = exp - 127 + 15;
        if (halfExp >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (halfExp <= 0) {
            if (halfExp < -10) {
                // Below 2^-25, half the smallest subnormal: rounds to zero.
                return (short) sign;
            }
            int significand = mant | 0x800000; // implicit leading one
            int shift = 14 - halfExp;          // 14..24
            return (short) (sign | roundShiftRightEven(significand, shift));
        }
        // Normal range; a carry out of the mantissa correctly bumps the exponent (up to infinity).
        int rounded = (halfExp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (rounded & 1) != 0)) {
            rounded++;
        }
        return (short) (sign | rounded);
    }

    private static int roundShiftRightEven(int value, int shift) {
        int kept = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (kept & 1) != 0)) {
            kept++;
        }
        return kept;
    }

    // ---- BF16 ----

    /** Widens BF16 bits to float exactly. */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** Narrows a float to BF16 bits, rounding to nearest even. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            // NaN: truncation could clear every payload bit and make it infinity, so set the quiet bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    // ---- bulk helpers ----

    /** Widens count F16 values read from src (little-endian, from its position; the position advances). */
    public static void f16ToFloats(ByteBuffer src, float[] dst, int dstOffset, int count) {
        ByteBuffer le = src.order() == ByteOrder.LITTLE_ENDIAN ? src : src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = f16ToFloat(le.getShort());
        }
        if (le != src) {
            src.position(le.position());
        }
    }

    /** Widens count BF16 values read from src (little-endian, from its position; the position advances). */
    public static void bf16ToFloats(ByteBuffer src, float[] dst, int dstOffset, int count) {
        ByteBuffer le = src.order() == ByteOrder.LITTLE_ENDIAN ? src : src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = bf16ToFloat(le.getShort());
        }
        if (le != src) {
            src.position(le.position());
        }
    }

    /** Narrows every value to F16 bits. */
    public static short[] toF16(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = floatToF16(values[i]);
        }
        return out;
    }

    /** Narrows every value to BF16 bits. */
    public static short[] toBf16(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = floatToBf16(values[i]);
        }
        return out;
    }

    /** Widens every F16 value. */
    public static float[] fromF16(short[] halves) {
        float[] out = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            out[i] = f16ToFloat(halves[i]);
        }
        return out;
    }

    /** Widens every BF16 value. */
    public static float[] fromBf16(short[] halves) {
        float[] out = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            out[i] = bf16ToFloat(halves[i]);
        }
        return out;
    }
}
