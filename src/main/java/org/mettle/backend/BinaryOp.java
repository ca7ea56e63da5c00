package org.mettle.backend;

/** Elementwise binary operations of the CPU backend; {@link #apply} is the scalar definition every kernel follows. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV,
    /** Propagates NaN like {@code torch.maximum}. */
    MAX,
    /** Propagates NaN like {@code torch.minimum}. */
    MIN,
    /** {@code a^b} as {@link Math#pow} (NaN for a negative base with a non-integer exponent, like torch). */
    POW;

    public float apply(float a, float b) {
        switch (this) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case MAX: return Math.max(a, b);
            case MIN: return Math.min(a, b);
            case POW: return (float) Math.pow(a, b);
            default: throw new AssertionError(this);
        }
    }
}
