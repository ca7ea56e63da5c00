package org.mettle.data.image;

/** A binary segmentation mask, row-major, one byte per pixel holding 0 or 1. Immutable. */
public final class BinaryMask {
    private final int width;
    private final int height;
    private final byte[] bits;

    private BinaryMask(int width, int height, byte[] bits) {
        this.width = width;
        this.height = height;
        this.bits = bits;
    }

    /** A mask from 0/1 values (any non-zero byte counts as 1); copies the array. */
    public static BinaryMask of(int width, int height, byte[] values) {
        RgbImage.checkSize(width, height);
        if (values.length != width * height) {
            throw new IllegalArgumentException("a mask of " + width + "x" + height + " needs " + width * height + " values, got " + values.length);
        }
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (values[i] != 0 ? 1 : 0);
        }
        return new BinaryMask(width, height, b);
    }

    static BinaryMask wrap(int width, int height, byte[] bits) {
        return new BinaryMask(width, height, bits);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public boolean get(int x, int y) {
        return bits[y * width + x] != 0;
    }

    /** Number of foreground pixels. */
    public int count() {
        int n = 0;
        for (byte b : bits) {
            n += b;
        }
        return n;
    }

    /** A copy of the 0/1 values, row-major. */
    public byte[] toBytes() {
        return bits.clone();
    }

    /** The mask as 0f/1f, row-major [H, W]. */
    public float[] toFloat() {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            out[i] = bits[i];
        }
        return out;
    }

    @Override
    public String toString() {
        return "BinaryMask[" + width + "x" + height + ", " + count() + " set]";
    }
}
