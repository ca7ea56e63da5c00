package org.mettle.backend;

/** A 2-D window over one [C, H, W] image: kernel, stride, padding, dilation (shared by conv and pooling). */
public record ConvGeometry(int channels, int height, int width, int kernelH, int kernelW,
                           int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
    public ConvGeometry {
        if (channels < 1 || height < 1 || width < 1 || kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1
                || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("invalid convolution geometry " + this);
        }
        if (outSize(height, kernelH, strideH, padH, dilationH) < 1 || outSize(width, kernelW, strideW, padW, dilationW) < 1) {
            throw new IllegalArgumentException("kernel " + kernelH + "x" + kernelW + " (dilation " + dilationH + "x" + dilationW
                    + ", padding " + padH + "x" + padW + ") does not fit the " + height + "x" + width + " input");
        }
    }

    public static ConvGeometry of(int channels, int height, int width, int kernel, int stride, int pad) {
        return new ConvGeometry(channels, height, width, kernel, kernel, stride, stride, pad, pad, 1, 1);
    }

    public int outHeight() {
        return outSize(height, kernelH, strideH, padH, dilationH);
    }

    public int outWidth() {
        return outSize(width, kernelW, strideW, padW, dilationW);
    }

    /** Rows of the im2col matrix: C * KH * KW. */
    public int patchSize() {
        return channels * kernelH * kernelW;
    }

    private static int outSize(int in, int k, int stride, int pad, int dil) {
        return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    }
}
