package org.mettle.data.audio;

/** Sample encodings WavReader decodes and (the 16-bit and float32 ones) WavWriter writes. */
public enum WavEncoding {
    /** 8-bit unsigned PCM (128 is silence). */
    PCM_U8(1, false),
    PCM_S16(2, false),
    PCM_S24(3, false),
    PCM_S32(4, false),
    FLOAT32(4, true),
    FLOAT64(8, true);

    private final int bytesPerSample;
    private final boolean floatingPoint;

    WavEncoding(int bytesPerSample, boolean floatingPoint) {
        this.bytesPerSample = bytesPerSample;
        this.floatingPoint = floatingPoint;
    }

    public int bytesPerSample() {
        return bytesPerSample;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }
}
