package org.mettle.train;

import java.util.Random;

/**
 * A {@link Random} whose full state can be saved and restored, so a resumed run draws the same numbers as an
 * uninterrupted one. It produces exactly java.util.Random's sequence for the same seed (same 48-bit LCG, same polar
 * method for nextGaussian); java.util.Random itself hides its seed, hence this class.
 */
public final class ResumableRandom extends Random {
    private static final long MULTIPLIER = 0x5DEECE66DL;
    private static final long ADDEND = 0xBL;
    private static final long MASK = (1L << 48) - 1;
    private static final String PREFIX = "lcg48:";

    // No field initialisers: Random's constructor calls setSeed before they would run.
    private long seed;
    private boolean haveNextGaussian;
    private double nextGaussian;

    public ResumableRandom(long seed) {
        super(seed);
    }

    @Override
    public synchronized void setSeed(long value) {
        seed = (value ^ MULTIPLIER) & MASK;
        haveNextGaussian = false;
    }

    @Override
    protected synchronized int next(int bits) {
        seed = (seed * MULTIPLIER + ADDEND) & MASK;
        return (int) (seed >>> (48 - bits));
    }

    @Override
    public synchronized double nextGaussian() {
        if (haveNextGaussian) {
            haveNextGaussian = false;
            return nextGaussian;
        }
        double v1;
        double v2;
        double s;
        do {
            v1 = 2 * nextDouble() - 1;
            v2 = 2 * nextDouble() - 1;
            s = v1 * v1 + v2 * v2;
        } while (s >= 1 || s == 0);
        double multiplier = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
        nextGaussian = v2 * multiplier;
        haveNextGaussian = true;
        return v1 * multiplier;
    }

    /** The whole state as text, e.g. "lcg48:5deece66d:-" (third field: the cached Gaussian's bits, or "-"). */
    public synchronized String state() {
        return PREFIX + Long.toHexString(seed) + ":" + (haveNextGaussian ? Long.toHexString(Double.doubleToRawLongBits(nextGaussian)) : "-");
    }

    /** Restores a state produced by {@link #state()}. */
    public synchronized void restore(String state) {
        String[] parts = state == null ? new String[0] : state.split(":");
        if (parts.length != 3 || !state.startsWith(PREFIX)) {
            throw new IllegalArgumentException("random state '" + state + "' is not of the form lcg48:HEX:(HEX|-)");
        }
        try {
            long s = Long.parseUnsignedLong(parts[1], 16);
            if ((s & ~MASK) != 0) {
                throw new IllegalArgumentException("random state '" + state + "': seed exceeds 48 bits");
            }
            boolean have = !parts[2].equals("-");
            double g = have ? Double.longBitsToDouble(Long.parseUnsignedLong(parts[2], 16)) : 0;
            seed = s;
            haveNextGaussian = have;
            nextGaussian = g;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("random state '" + state + "' has a field that is not hexadecimal", e);
        }
    }
}
