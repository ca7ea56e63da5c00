package org.mettle.backend;

/**
 * Elementwise unary operations of the CPU backend. {@link #apply} and {@link #derivative} are the scalar
 * definitions (float in, float out, double inside where it is cheap); every kernel follows them.
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT,
    /** {@code 1 / sqrt(x)}. */
    RSQRT,
    ABS, SQUARE, RECIPROCAL, TANH, SIGMOID, RELU,
    /** {@code x * Phi(x)} with the exact normal CDF (torch's default {@code approximate='none'}). */
    GELU,
    /** {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))} (torch's {@code approximate='tanh'}). */
    GELU_TANH,
    /** {@code x * sigmoid(x)}. */
    SILU;

    public static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    public static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    public static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    public static final double GELU_TANH_CUBIC = 0.044715;

    /** Whether {@link #derivative} reads the forward output y (for the other ops y may be null). */
    public boolean backwardUsesOutput() {
        switch (this) {
            case EXP: case SQRT: case RSQRT: case RECIPROCAL: case TANH: case SIGMOID: return true;
            default: return false;
        }
    }

    public float apply(float x) {
        switch (this) {
            case NEG: return -x;
            case EXP: return (float) Math.exp(x);
            case LOG: return (float) Math.log(x);
            case SQRT: return (float) Math.sqrt(x);
            case RSQRT: return (float) (1.0 / Math.sqrt(x));
            case ABS: return Math.abs(x);
            case SQUARE: return x * x;
            case RECIPROCAL: return 1f / x;
            case TANH: return (float) Math.tanh(x);
            case SIGMOID: return (float) sigmoid(x);
            case RELU: return x > 0f ? x : (x == x ? 0f : x);
            case GELU: return (float) (x * normalCdf(x));
            case GELU_TANH: return (float) geluTanh(x);
            case SILU: return (float) (x * sigmoid(x));
            default: throw new AssertionError(this);
        }
    }

    /** d op / dx at x, where y = op(x) (only read when {@link #backwardUsesOutput()}). */
    public float derivative(float x, float y) {
        switch (this) {
            case NEG: return -1f;
            case EXP: return y;
            case LOG: return 1f / x;
            case SQRT: return 0.5f / y;
            case RSQRT: return -0.5f * y * y * y;
            case ABS: return x > 0f ? 1f : (x < 0f ? -1f : 0f);
            case SQUARE: return 2f * x;
            case RECIPROCAL: return -y * y;
            case TANH: return 1f - y * y;
            case SIGMOID: return y * (1f - y);
            case RELU: return x > 0f ? 1f : 0f;
            case GELU: return (float) (normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * (double) x * x));
            case GELU_TANH: return (float) geluTanhDerivative(x);
            case SILU: {
                double s = sigmoid(x);
                return (float) (s * (1.0 + x * (1.0 - s)));
            }
            default: throw new AssertionError(this);
        }
    }

    public static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** Standard normal CDF through erfc, so the left tail keeps its relative accuracy. */
    public static double normalCdf(double x) {
        double half = 0.5 * erfcNonNegative(Math.abs(x) * INV_SQRT_2);
        return x < 0 ? half : 1.0 - half;
    }

    /**
     * erfc(z) for z >= 0, Chebyshev-fitted form of Press et al. (Numerical Recipes, sec. 6.2): relative error
     * below 1.2e-7 everywhere, i.e. float accuracy, and it vectorises (one exp, one division).
     */
    public static double erfcNonNegative(double z) {
        double t = 1.0 / (1.0 + 0.5 * z);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.exp(-z * z + poly);
    }

    public static double geluTanh(double x) {
        double inner = SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x);
        return 0.5 * x * (1.0 + Math.tanh(inner));
    }

    public static double geluTanhDerivative(double x) {
        double inner = SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x);
        double t = Math.tanh(inner);
        double dInner = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x);
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dInner;
    }
}
