package org.mettle.train;

import java.util.Arrays;

/**
 * Learning rate as a pure function of the optimizer step (0-based: lr(0) is used for the first update). A linear
 * warm-up from base/warmup to base over the first warmup steps, then either cosine decay to a floor at totalSteps
 * (held at the floor afterwards), step decay (times gamma at each milestone reached), or constant. Parameter groups
 * (meta-tokens, heads) get base lr x their multiplier.
 */
public final class LrSchedule {
    private enum Kind { CONSTANT, COSINE, STEP }

    private final Kind kind;
    private final double baseLr;
    private final int warmupSteps;
    private final long totalSteps;
    private final double floorLr;
    private final long[] milestones;
    private final double gamma;

    private LrSchedule(Kind kind, double baseLr, int warmupSteps, long totalSteps, double floorLr, long[] milestones, double gamma) {
        if (!(baseLr >= 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException("base learning rate must be finite and >= 0, got " + baseLr);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
        this.kind = kind;
        this.baseLr = baseLr;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
        this.floorLr = floorLr;
        this.milestones = milestones;
        this.gamma = gamma;
    }

    public static LrSchedule constant(double baseLr, int warmupSteps) {
        return new LrSchedule(Kind.CONSTANT, baseLr, warmupSteps, 0, 0, new long[0], 1);
    }

    /** Warm-up, then cosine from baseLr down to floorLr, reached at totalSteps. */
    public static LrSchedule cosine(double baseLr, int warmupSteps, long totalSteps, double floorLr) {
        if (totalSteps < warmupSteps) {
            throw new IllegalArgumentException("total steps " + totalSteps + " must be >= warm-up steps " + warmupSteps);
        }
        if (!(floorLr >= 0 && floorLr <= baseLr)) {
            throw new IllegalArgumentException("cosine floor " + floorLr + " must lie in [0, base lr " + baseLr + "]");
        }
        return new LrSchedule(Kind.COSINE, baseLr, warmupSteps, totalSteps, floorLr, new long[0], 1);
    }

    /** Warm-up, then baseLr x gamma^(number of milestones <= step). Milestones must be strictly increasing. */
    public static LrSchedule step(double baseLr, int warmupSteps, long[] milestones, double gamma) {
        for (int i = 1; i < milestones.length; i++) {
            if (milestones[i] <= milestones[i - 1]) {
                throw new IllegalArgumentException("milestones must increase strictly, got " + Arrays.toString(milestones));
            }
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("step-decay gamma must lie in (0, 1], got " + gamma);
        }
        return new LrSchedule(Kind.STEP, baseLr, warmupSteps, 0, 0, milestones.clone(), gamma);
    }

    /** The base learning rate for update number step + 1. */
    public double lr(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        if (step < warmupSteps) {
            return baseLr * (step + 1) / warmupSteps;
        }
        switch (kind) {
            case COSINE: {
                long span = Math.max(1, totalSteps - warmupSteps);
                double progress = Math.min(1.0, (double) (step - warmupSteps) / span);
                return floorLr + (baseLr - floorLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
            }
            case STEP: {
                int passed = 0;
                while (passed < milestones.length && milestones[passed] <= step) {
                    passed++;
                }
                return baseLr * Math.pow(gamma, passed);
            }
            default:
                return baseLr;
        }
    }

    /** The learning rate of a parameter group: lr(step) x multiplier. */
    public double lr(long step, double groupMultiplier) {
        return lr(step) * groupMultiplier;
    }

    /** Sets optimizer's learning rate for update number step + 1 of a group with the given multiplier. */
    public void applyTo(AdamW optimizer, long step, double groupMultiplier) {
        optimizer.setLearningRate((float) lr(step, groupMultiplier));
    }
}
