package org.mettle.data.synthetic;

import java.util.SplittableRandom;

/** A point drifting at constant speed and bouncing off the frame edges (kept radius away from them). */
record Motion(double x0, double y0, double vx, double vy, double radius, int width, int height) {
    static Motion random(double[] start, double radius, int width, int height, SplittableRandom rng) {
        double speed = radius * 0.35; // pixels per second
        double angle = rng.nextDouble() * 2 * Math.PI;
        return new Motion(start[0], start[1], speed * Math.cos(angle), speed * Math.sin(angle), radius, width, height);
    }

    Scene.Item at(int classIndex, double seconds) {
        return new Scene.Item(classIndex, bounce(x0 + vx * seconds, radius, width - radius), bounce(y0 + vy * seconds, radius, height - radius), radius);
    }

    private static double bounce(double v, double lo, double hi) {
        double span = hi - lo;
        if (span <= 0) {
            return (lo + hi) / 2;
        }
        double t = (v - lo) % (2 * span);
        if (t < 0) {
            t += 2 * span;
        }
        return lo + (t <= span ? t : 2 * span - t);
    }
}
