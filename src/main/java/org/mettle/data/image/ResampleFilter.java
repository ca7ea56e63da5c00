package org.mettle.data.image;

/**
 * The two antialiasing resampling filters of PIL's {@code Image.resize} and torch's {@code interpolate(...,
 * antialias=True)}: triangle (bilinear) with support 1 and Keys cubic (bicubic) with a = -0.5 and support 2.
 * When downscaling by a factor s the support is stretched by s, which is what makes them antialias.
 */
public enum ResampleFilter {
    BILINEAR(1.0),
    BICUBIC(2.0);

    private static final double A = -0.5;
    private static final float A_F = -0.5f;

    private final double support;

    ResampleFilter(double support) {
        this.support = support;
    }

    /** Half-width of the kernel at scale 1 (PIL's filter support; torch's interp_size / 2). */
    public double support() {
        return support;
    }

    /** The kernel in double precision, as PIL evaluates it. */
    double weight(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (this == BILINEAR) {
            return x < 1.0 ? 1.0 - x : 0.0;
        }
        if (x < 1.0) {
            return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * A;
        }
        return 0.0;
    }

    /** The kernel in single precision, as torch evaluates it for float tensors. */
    float weight(float x) {
        if (x < 0f) {
            x = -x;
        }
        if (this == BILINEAR) {
            return x < 1f ? 1f - x : 0f;
        }
        if (x < 1f) {
            return ((A_F + 2f) * x - (A_F + 3f)) * x * x + 1f;
        }
        if (x < 2f) {
            return ((A_F * x - 5f * A_F) * x + 8f * A_F) * x - 4f * A_F;
        }
        return 0f;
    }

    /** Parses "bilinear" / "bicubic" (case-insensitive), naming the accepted values otherwise. */
    public static ResampleFilter parse(String name) {
        for (ResampleFilter f : values()) {
            if (f.name().equalsIgnoreCase(name.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown resampling filter '" + name + "'; use bilinear or bicubic");
    }
}
