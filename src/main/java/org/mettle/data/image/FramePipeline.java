package org.mettle.data.image;

import java.nio.file.Path;
import java.util.List;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.Tensor;

/**
 * Frame preprocessing: decode, resize, center crop, to [0, 1], normalise, producing channel-first [3, H, W]
 * floats. With the defaults it equals the usual torchvision chain on PIL images:
 * {@code Compose([Resize(size, interpolation), CenterCrop(crop), ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD)])}
 * applied to {@code Image.open(p).convert("RGB")}. {@link Precision#FLOAT} instead follows the tensor chain
 * {@code ToTensor()} then {@code Resize(..., antialias=True)}, which resizes in float without 8-bit rounding.
 * Immutable and thread-safe: one pipeline may serve several loader threads.
 */
public final class FramePipeline {
    /** Where the resize happens: on 8-bit pixels as PIL does, or on floats as torch does. */
    public enum Precision { UINT8, FLOAT }

    private final int resizeWidth;   // > 0: exact size
    private final int resizeHeight;
    private final int shorterSide;   // > 0: shorter side to this, aspect kept
    private final ResampleFilter filter;
    private final int cropWidth;     // 0: no crop
    private final int cropHeight;
    private final float[] mean;      // null: no normalisation
    private final float[] std;
    private final Precision precision;

    private FramePipeline(Builder b) {
        this.resizeWidth = b.resizeWidth;
        this.resizeHeight = b.resizeHeight;
        this.shorterSide = b.shorterSide;
        this.filter = b.filter;
        this.cropWidth = b.cropWidth;
        this.cropHeight = b.cropHeight;
        this.mean = b.mean;
        this.std = b.std;
        this.precision = b.precision;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Square frames of the given side: bicubic resize to side x side, no crop, ImageNet normalisation. */
    public static FramePipeline square(int side) {
        return builder().resize(side, side).build();
    }

    /** Output width and height for an input of the given size. */
    public int[] outputSize(int width, int height) {
        if (cropWidth > 0) {
            return new int[] {cropWidth, cropHeight};
        }
        return resizedSize(width, height);
    }

    private int[] resizedSize(int width, int height) {
        if (resizeWidth > 0) {
            return new int[] {resizeWidth, resizeHeight};
        }
        if (shorterSide > 0) {
            return Resize.shorterSideTo(width, height, shorterSide);
        }
        return new int[] {width, height};
    }

    /** Decodes the file and applies the pipeline; errors name the file. */
    public float[] apply(Path imageFile) {
        return apply(ImageDecoder.read(imageFile));
    }

    /** The pipeline on an RGB image: [3, H, W] floats, row-major. */
    public float[] apply(RgbImage image) {
        return process(image).chw;
    }

    /** A processed frame: channel-first floats and their width and height. */
    public record Frame(float[] chw, int width, int height) {}

    /** Like {@link #apply(RgbImage)}, also returning the output size. */
    public Frame process(RgbImage image) {
        int[] size = resizedSize(image.width(), image.height());
        float[] chw;
        int w = size[0];
        int h = size[1];
        if (precision == Precision.UINT8) {
            RgbImage resized = (w == image.width() && h == image.height()) ? image : Resize.resize(image, w, h, filter);
            if (cropWidth > 0) {
                resized = ImageOps.centerCrop(resized, cropWidth, cropHeight);
            }
            chw = resized.toChwFloat();
        } else {
            chw = Resize.resizeFloat(image.toChwFloat(), 3, image.height(), image.width(), h, w, filter);
            if (cropWidth > 0) {
                chw = ImageOps.centerCrop(chw, 3, h, w, cropWidth, cropHeight);
            }
        }
        if (cropWidth > 0) {
            w = cropWidth;
            h = cropHeight;
        }
        if (mean != null) {
            ImageOps.normalize(chw, 3, mean, std);
        }
        return new Frame(chw, w, h);
    }

    /** The frames as one CPU tensor [N, 3, H, W]; all frames must come out the same size (use a crop or exact resize). */
    public Tensor tensor(List<Path> frames) {
        return tensor(Backends.cpu(), frames);
    }

    public Tensor tensor(Backend backend, List<Path> frames) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no frames given");
        }
        Frame first = process(ImageDecoder.read(frames.get(0)));
        int per = first.chw().length;
        float[] all = new float[per * frames.size()];
        System.arraycopy(first.chw(), 0, all, 0, per);
        for (int i = 1; i < frames.size(); i++) {
            Frame f = process(ImageDecoder.read(frames.get(i)));
            if (f.width() != first.width() || f.height() != first.height()) {
                throw new IllegalArgumentException(frames.get(i) + " becomes " + f.width() + "x" + f.height() + " but "
                        + frames.get(0) + " became " + first.width() + "x" + first.height()
                        + "; frames of different sizes need an exact resize or a center crop");
            }
            System.arraycopy(f.chw(), 0, all, i * per, per);
        }
        return Tensor.of(backend, all, frames.size(), 3, first.height(), first.width());
    }

    @Override
    public String toString() {
        String resize = resizeWidth > 0 ? "resize " + resizeWidth + "x" + resizeHeight
                : shorterSide > 0 ? "resize shorter side to " + shorterSide : "no resize";
        return "FramePipeline[" + resize + " " + filter.name().toLowerCase() + " (" + precision.name().toLowerCase() + ")"
                + (cropWidth > 0 ? ", center crop " + cropWidth + "x" + cropHeight : "")
                + (mean != null ? ", normalise" : "") + "]";
    }

    /** Builder; defaults: no resize, bicubic, no crop, ImageNet normalisation, 8-bit (PIL) precision. */
    public static final class Builder {
        private int resizeWidth;
        private int resizeHeight;
        private int shorterSide;
        private ResampleFilter filter = ResampleFilter.BICUBIC;
        private int cropWidth;
        private int cropHeight;
        private float[] mean = ImageOps.IMAGENET_MEAN.clone();
        private float[] std = ImageOps.IMAGENET_STD.clone();
        private Precision precision = Precision.UINT8;

        private Builder() {}

        /** Resize to exactly width x height (torchvision's Resize((height, width))). */
        public Builder resize(int width, int height) {
            RgbImage.checkSize(width, height);
            this.resizeWidth = width;
            this.resizeHeight = height;
            this.shorterSide = 0;
            return this;
        }

        /** Resize so the shorter side is size, keeping the aspect ratio (torchvision's Resize(size)). */
        public Builder resizeShorterSide(int size) {
            if (size <= 0) {
                throw new IllegalArgumentException("resize size must be positive, got " + size);
            }
            this.shorterSide = size;
            this.resizeWidth = 0;
            this.resizeHeight = 0;
            return this;
        }

        public Builder filter(ResampleFilter filter) {
            this.filter = java.util.Objects.requireNonNull(filter);
            return this;
        }

        public Builder centerCrop(int width, int height) {
            RgbImage.checkSize(width, height);
            this.cropWidth = width;
            this.cropHeight = height;
            return this;
        }

        public Builder normalize(float[] mean, float[] std) {
            if (mean.length != 3 || std.length != 3) {
                throw new IllegalArgumentException("normalisation needs 3 means and 3 stds, got " + mean.length + " and " + std.length);
            }
            this.mean = mean.clone();
            this.std = std.clone();
            return this;
        }

        /** Keep values in [0, 1] (ToTensor only). */
        public Builder noNormalization() {
            this.mean = null;
            this.std = null;
            return this;
        }

        public Builder precision(Precision precision) {
            this.precision = java.util.Objects.requireNonNull(precision);
            return this;
        }

        public FramePipeline build() {
            return new FramePipeline(this);
        }
    }
}
