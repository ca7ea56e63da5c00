package org.mettle.data.image;

/** Center crop and normalisation with torchvision's semantics. */
public final class ImageOps {
    /** ImageNet channel means and standard deviations (torchvision's and timm's defaults). */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private ImageOps() {}

    /**
     * Top-left corner {left, top} of torchvision's {@code CenterCrop((cropHeight, cropWidth))}: an axis smaller than
     * the crop is first padded with zeros ((crop - size) // 2 before it), then the offset is
     * round((size - crop) / 2) with Python's round-half-to-even. The corner may be negative (padding).
     */
    public static int[] centerCropOrigin(int width, int height, int cropWidth, int cropHeight) {
        RgbImage.checkSize(cropWidth, cropHeight);
        int padLeft = cropWidth > width ? (cropWidth - width) / 2 : 0;
        int padTop = cropHeight > height ? (cropHeight - height) / 2 : 0;
        int paddedW = cropWidth > width ? cropWidth : width;
        int paddedH = cropHeight > height ? cropHeight : height;
        int left = (int) Math.rint((paddedW - cropWidth) / 2.0) - padLeft;
        int top = (int) Math.rint((paddedH - cropHeight) / 2.0) - padTop;
        return new int[] {left, top};
    }

    /** torchvision's CenterCrop on an 8-bit image. */
    public static RgbImage centerCrop(RgbImage image, int cropWidth, int cropHeight) {
        int[] o = centerCropOrigin(image.width(), image.height(), cropWidth, cropHeight);
        return image.crop(o[0], o[1], cropWidth, cropHeight);
    }

    /** torchvision's CenterCrop on a channel-first float image; outside the image is 0. */
    public static float[] centerCrop(float[] chw, int channels, int height, int width, int cropWidth, int cropHeight) {
        int[] o = centerCropOrigin(width, height, cropWidth, cropHeight);
        float[] out = new float[channels * cropHeight * cropWidth];
        int x0 = Math.max(o[0], 0);
        int x1 = Math.min(o[0] + cropWidth, width);
        for (int c = 0; c < channels; c++) {
            for (int y = Math.max(o[1], 0); y < Math.min(o[1] + cropHeight, height) && x1 > x0; y++) {
                System.arraycopy(chw, (c * height + y) * width + x0, out, (c * cropHeight + y - o[1]) * cropWidth + x0 - o[0], x1 - x0);
            }
        }
        return out;
    }

    /** In place: (x - mean[c]) / std[c] per channel of a [channels, H, W] array (torchvision's Normalize). */
    public static void normalize(float[] chw, int channels, float[] mean, float[] std) {
        if (mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("normalisation needs one mean and one std per channel (" + channels
                    + "), got " + mean.length + " and " + std.length);
        }
        int plane = chw.length / channels;
        for (int c = 0; c < channels; c++) {
            if (!(std[c] != 0f)) {
                throw new IllegalArgumentException("std of channel " + c + " is " + std[c] + "; it must be non-zero");
            }
            float m = mean[c];
            float s = std[c];
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                chw[i] = (chw[i] - m) / s;
            }
        }
    }
}
