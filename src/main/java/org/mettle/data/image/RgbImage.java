package org.mettle.data.image;

import java.util.Objects;

/**
 * An 8-bit RGB image, row-major with interleaved channels (HWC), as PIL holds an "RGB" image. Immutable: the
 * pixel array is never handed out, only copies.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final byte[] pixels; // (y * width + x) * 3 + c

    private RgbImage(int width, int height, byte[] pixels) {
        this.width = width;
        this.height = height;
        this.pixels = pixels;
    }

    /** Wraps a copy of rgb (length width * height * 3, HWC). */
    public static RgbImage of(int width, int height, byte[] rgb) {
        checkSize(width, height);
        Objects.requireNonNull(rgb, "rgb");
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs " + (long) width * height * 3
                    + " bytes, got " + rgb.length);
        }
        return new RgbImage(width, height, rgb.clone());
    }

    /** Takes ownership of rgb without copying; for code in this package that built the array itself. */
    static RgbImage wrap(int width, int height, byte[] rgb) {
        return new RgbImage(width, height, rgb);
    }

    static void checkSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 3 > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("image of " + width + "x" + height + " is too large (more than 2 GB of pixels)");
        }
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** Channel c (0 red, 1 green, 2 blue) of pixel (x, y) as 0..255. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xFF;
    }

    /** A copy of the pixels, HWC. */
    public byte[] toBytes() {
        return pixels.clone();
    }

    /** Package-private view of the pixels for the resize kernels (read-only by convention). */
    byte[] pixels() {
        return pixels;
    }

    /** The pixels as floats in [0, 1], channel-first [3, H, W] (torchvision's ToTensor). */
    public float[] toChwFloat() {
        int plane = width * height;
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            out[i] = (pixels[i * 3] & 0xFF) / 255f;
            out[plane + i] = (pixels[i * 3 + 1] & 0xFF) / 255f;
            out[2 * plane + i] = (pixels[i * 3 + 2] & 0xFF) / 255f;
        }
        return out;
    }

    /** The pixels as floats 0..255, channel-first [3, H, W] (a uint8 tensor converted to float). */
    public float[] toChwFloat255() {
        int plane = width * height;
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            out[i] = pixels[i * 3] & 0xFF;
            out[plane + i] = pixels[i * 3 + 1] & 0xFF;
            out[2 * plane + i] = pixels[i * 3 + 2] & 0xFF;
        }
        return out;
    }

    /**
     * The window [left, left + w) x [top, top + h); parts outside the image are black (zero), as torchvision pads
     * before cropping.
     */
    public RgbImage crop(int left, int top, int w, int h) {
        checkSize(w, h);
        byte[] out = new byte[w * h * 3];
        int x0 = Math.max(left, 0);
        int x1 = Math.min(left + w, width);
        if (x1 > x0) {
            for (int y = Math.max(top, 0); y < Math.min(top + h, height); y++) {
                System.arraycopy(pixels, (y * width + x0) * 3, out, ((y - top) * w + (x0 - left)) * 3, (x1 - x0) * 3);
            }
        }
        return new RgbImage(w, h, out);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
