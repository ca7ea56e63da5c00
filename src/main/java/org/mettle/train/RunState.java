package org.mettle.train;

/**
 * The counters a resumed run needs besides tensors: epoch (completed epochs), global optimizer step, the RNG state
 * ({@link ResumableRandom#state()}), the best validation metric so far (NaN when none) and the run config as JSON.
 */
public record RunState(int epoch, long globalStep, String rngState, double bestMetric, String configJson) {
    public RunState {
        if (epoch < 0 || globalStep < 0) {
            throw new IllegalArgumentException("epoch and step must be >= 0, got epoch " + epoch + ", step " + globalStep);
        }
        if (rngState == null || configJson == null) {
            throw new IllegalArgumentException("rng state and config JSON must not be null");
        }
    }
}
