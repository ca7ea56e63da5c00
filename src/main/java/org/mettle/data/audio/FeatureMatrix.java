package org.mettle.data.audio;

import org.mettle.tensor.Tensor;

/** A frames x bins feature matrix (row-major), e.g. a log-mel filterbank. */
public record FeatureMatrix(float[] data, int frames, int bins) {
    public FeatureMatrix {
        if ((long) frames * bins != data.length) {
            throw new IllegalArgumentException(frames + " x " + bins + " features need " + (long) frames * bins
                    + " values, got " + data.length);
        }
    }

    public float get(int frame, int bin) {
        return data[frame * bins + bin];
    }

    /** A new CPU tensor of shape [frames, bins] holding a copy of the data. */
    public Tensor toTensor() {
        return Tensor.of(data, frames, bins);
    }
}
