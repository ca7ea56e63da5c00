package org.mettle.backend;

/** Resampling modes of {@code interpolate}, with PyTorch's semantics. */
public enum Interpolation {
    NEAREST, BILINEAR, BICUBIC
}
