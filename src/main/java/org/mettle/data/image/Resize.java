package org.mettle.data.image;

/**
 * Antialiased separable resizing, in two flavours that agree to within one grey level:
 * <ul>
 *   <li>{@link #resize(RgbImage, int, int, ResampleFilter)}: PIL's {@code Image.resize} on 8-bit images, bit for
 *   bit: double-precision weights quantised to 22-bit fixed point, horizontal pass first, the intermediate rounded
 *   and clipped to uint8. This is what torchvision's {@code Resize} does to PIL images.</li>
 *   <li>{@link #resizeFloat}: torch's {@code interpolate(mode, antialias=True, align_corners=False)} on float
 *   tensors (torchvision's {@code Resize(antialias=True)} on tensors): single-precision weights and sums, no
 *   rounding between the passes.</li>
 * </ul>
 * Both use, for output pixel i along an axis of scale s = in / out, the input window centred at (i + 0.5) s with
 * half-width support * max(s, 1), weights filter((j + 0.5 - centre) / max(s, 1)) normalised to sum 1. An axis
 * whose size does not change is copied.
 */
public final class Resize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private Resize() {}

    /** Window start, length and normalised weights of every output index along one axis. */
    record Coefficients(int[] start, int[] size, double[] weights, int kernelSize) {}

    /** PIL's precompute_coeffs: everything in double precision. */
    static Coefficients coefficients(int inSize, int outSize, ResampleFilter filter) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        int kernelSize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] size = new int[outSize];
        double[] weights = new double[outSize * kernelSize];
        double ss = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double total = 0;
            int base = i * kernelSize;
            for (int j = 0; j < xmax; j++) {
                double w = filter.weight((j + xmin - center + 0.5) * ss);
                weights[base + j] = w;
                total += w;
            }
            if (total != 0.0) {
                for (int j = 0; j < xmax; j++) {
                    weights[base + j] /= total;
                }
            }
            start[i] = xmin;
            size[i] = xmax;
        }
        return new Coefficients(start, size, weights, kernelSize);
    }

    /** PIL's normalize_coeffs_8bpc: weights to fixed point with PRECISION_BITS fractional bits, rounded away from 0. */
    private static int[] fixedPoint(double[] weights) {
        int[] out = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            double k = weights[i] * (1 << PRECISION_BITS);
            out[i] = (int) (weights[i] < 0 ? -0.5 + k : 0.5 + k);
        }
        return out;
    }

    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Resizes to outWidth x outHeight exactly as PIL's {@code Image.resize((outWidth, outHeight), filter)}. */
    public static RgbImage resize(RgbImage image, int outWidth, int outHeight, ResampleFilter filter) {
        RgbImage.checkSize(outWidth, outHeight);
        byte[] out = resizeInterleaved(image.pixels(), image.width(), image.height(), 3, outWidth, outHeight, filter);
        return RgbImage.wrap(outWidth, outHeight, out);
    }

    /** PIL's two-pass 8-bit resampling of an interleaved image with the given channel count. */
    static byte[] resizeInterleaved(byte[] src, int width, int height, int channels, int outWidth, int outHeight, ResampleFilter filter) {
        boolean horizontal = outWidth != width;
        boolean vertical = outHeight != height;
        if (!horizontal && !vertical) {
            return src.clone();
        }
        Coefficients vc = vertical ? coefficients(height, outHeight, filter) : null;
        // rows of the input that the vertical pass reads
        int rowFirst = 0;
        int rowLast = height;
        if (vc != null) {
            rowFirst = vc.start[0];
            rowLast = vc.start[outHeight - 1] + vc.size[outHeight - 1];
        }
        byte[] tmp = src;
        int tmpRows = height;
        if (horizontal) {
            Coefficients hc = coefficients(width, outWidth, filter);
            tmpRows = rowLast - rowFirst;
            tmp = horizontalPass(src, width, channels, rowFirst, tmpRows, outWidth, hc);
        } else {
            rowFirst = 0;
        }
        if (!vertical) {
            return tmp;
        }
        return verticalPass(tmp, outWidth, channels, rowFirst, outHeight, vc);
    }

    private static byte[] horizontalPass(byte[] src, int width, int channels, int rowFirst, int rows, int outWidth, Coefficients c) {
        int[] k = fixedPoint(c.weights);
        int ks = c.kernelSize;
        byte[] out = new byte[rows * outWidth * channels];
        if (channels == 3) {
            horizontalRgb(src, width, rowFirst, rows, outWidth, c, k, out);
            return out;
        }
        int[] acc = new int[channels];
        for (int y = 0; y < rows; y++) {
            int rowIn = (y + rowFirst) * width * channels;
            int rowOut = y * outWidth * channels;
            for (int x = 0; x < outWidth; x++) {
                int xmin = c.start[x];
                int xsize = c.size[x];
                int kb = x * ks;
                java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
                for (int j = 0; j < xsize; j++) {
                    int w = k[kb + j];
                    int p = rowIn + (xmin + j) * channels;
                    for (int ch = 0; ch < channels; ch++) {
                        acc[ch] += (src[p + ch] & 0xFF) * w;
                    }
                }
                for (int ch = 0; ch < channels; ch++) {
                    out[rowOut + x * channels + ch] = (byte) clip8(acc[ch]);
                }
            }
        }
        return out;
    }

    /** The RGB case with the three sums in registers (the generic loop is about 3x slower). */
    private static void horizontalRgb(byte[] src, int width, int rowFirst, int rows, int outWidth, Coefficients c, int[] k, byte[] out) {
        int ks = c.kernelSize;
        int half = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < rows; y++) {
            int rowIn = (y + rowFirst) * width * 3;
            int o = y * outWidth * 3;
            for (int x = 0; x < outWidth; x++) {
                int p = rowIn + c.start[x] * 3;
                int kb = x * ks;
                int end = kb + c.size[x];
                int s0 = half;
                int s1 = half;
                int s2 = half;
                for (int j = kb; j < end; j++, p += 3) {
                    int w = k[j];
                    s0 += (src[p] & 0xFF) * w;
                    s1 += (src[p + 1] & 0xFF) * w;
                    s2 += (src[p + 2] & 0xFF) * w;
                }
                out[o++] = (byte) clip8(s0);
                out[o++] = (byte) clip8(s1);
                out[o++] = (byte) clip8(s2);
            }
        }
    }

    /** Vertical pass over src, whose row 0 is input row rowOffset. */
    private static byte[] verticalPass(byte[] src, int width, int channels, int rowOffset, int outHeight, Coefficients c) {
        int[] k = fixedPoint(c.weights);
        int ks = c.kernelSize;
        int stride = width * channels;
        byte[] out = new byte[outHeight * stride];
        int[] acc = new int[stride];
        for (int y = 0; y < outHeight; y++) {
            int ymin = c.start[y] - rowOffset;
            int ysize = c.size[y];
            int kb = y * ks;
            java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            for (int j = 0; j < ysize; j++) {
                int w = k[kb + j];
                int p = (ymin + j) * stride;
                for (int i = 0; i < stride; i++) {
                    acc[i] += (src[p + i] & 0xFF) * w;
                }
            }
            int o = y * stride;
            for (int i = 0; i < stride; i++) {
                out[o + i] = (byte) clip8(acc[i]);
            }
        }
        return out;
    }

    // ---- float path (torch) --------------------------------------------------------------------------------

    /** torch's _compute_weights_aa for float tensors: the same window, in single precision. */
    static float[][] floatCoefficients(int inSize, int outSize, ResampleFilter filter, int[] start, int[] size) {
        float scale = (float) inSize / outSize;
        int interpSize = (int) (filter.support() * 2);
        float support = scale >= 1.0f ? (float) ((interpSize * 0.5) * scale) : (float) (interpSize * 0.5);
        float invScale = scale >= 1.0f ? (float) (1.0 / scale) : 1.0f;
        float[][] weights = new float[outSize][];
        for (int i = 0; i < outSize; i++) {
            float center = (float) (scale * (i + 0.5));
            int xmin = (int) Math.max((long) (center - support + 0.5), 0L);
            int xsize = (int) (Math.min((long) (center + support + 0.5), inSize) - xmin);
            float[] w = new float[Math.max(xsize, 0)];
            float total = 0f;
            for (int j = 0; j < xsize; j++) {
                float x = (float) (((float) (j + xmin) - center + 0.5) * invScale);
                w[j] = filter.weight(x);
                total += w[j];
            }
            if (total != 0f) {
                for (int j = 0; j < xsize; j++) {
                    w[j] /= total;
                }
            }
            start[i] = xmin;
            size[i] = xsize;
            weights[i] = w;
        }
        return weights;
    }

    /**
     * Resizes a channel-first float image [channels, height, width] to [channels, outHeight, outWidth] as torch's
     * {@code interpolate(x, size=(outHeight, outWidth), mode, antialias=True, align_corners=False)}: width first,
     * then height, in float.
     */
    public static float[] resizeFloat(float[] chw, int channels, int height, int width, int outHeight, int outWidth, ResampleFilter filter) {
        RgbImage.checkSize(outWidth, outHeight);
        if (chw.length != (long) channels * height * width) {
            throw new IllegalArgumentException("a [" + channels + ", " + height + ", " + width + "] image holds "
                    + (long) channels * height * width + " values, got " + chw.length);
        }
        float[] cur = chw;
        int curW = width;
        if (outWidth != width) {
            int[] start = new int[outWidth];
            int[] size = new int[outWidth];
            float[][] w = floatCoefficients(width, outWidth, filter, start, size);
            float[] next = new float[channels * height * outWidth];
            for (int row = 0; row < channels * height; row++) {
                int in = row * width;
                int out = row * outWidth;
                for (int x = 0; x < outWidth; x++) {
                    float[] wx = w[x];
                    int s = in + start[x];
                    float acc = cur[s] * wx[0];
                    for (int j = 1; j < size[x]; j++) {
                        acc += cur[s + j] * wx[j];
                    }
                    next[out + x] = acc;
                }
            }
            cur = next;
            curW = outWidth;
        }
        if (outHeight != height) {
            int[] start = new int[outHeight];
            int[] size = new int[outHeight];
            float[][] w = floatCoefficients(height, outHeight, filter, start, size);
            float[] next = new float[channels * outHeight * curW];
            for (int c = 0; c < channels; c++) {
                int plane = c * height * curW;
                int outPlane = c * outHeight * curW;
                for (int y = 0; y < outHeight; y++) {
                    float[] wy = w[y];
                    int o = outPlane + y * curW;
                    int s = plane + start[y] * curW;
                    for (int x = 0; x < curW; x++) {
                        next[o + x] = cur[s + x] * wy[0];
                    }
                    for (int j = 1; j < size[y]; j++) {
                        int sj = s + j * curW;
                        float wj = wy[j];
                        for (int x = 0; x < curW; x++) {
                            next[o + x] += cur[sj + x] * wj;
                        }
                    }
                }
            }
            cur = next;
        }
        return cur == chw ? chw.clone() : cur;
    }

    /**
     * torchvision's {@code Resize(size)} with one int: the shorter side becomes size and the longer one
     * int(size * long / short). Returns {width, height}.
     */
    public static int[] shorterSideTo(int width, int height, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("resize size must be positive, got " + size);
        }
        RgbImage.checkSize(width, height);
        // Python's int(size * long / short): an exact product, one correctly rounded division, truncation
        if (width <= height) {
            return new int[] {size, Math.max(1, (int) ((double) ((long) size * height) / width))};
        }
        return new int[] {Math.max(1, (int) ((double) ((long) size * width) / height)), size};
    }
}
