package org.mettle.backend;

/**
 * Layout of one [B, H, N, D] attention operand inside a float[]: element (b, h, n, d) is at
 * {@code offset + b*sB + h*sH + n*sN + d}. The head dimension is always contiguous; the other strides are free, so q, k
 * and v can be read straight out of a fused qkv projection and o written straight into [B, N, H*D].
 */
public record AttentionLayout(int offset, int sB, int sH, int sN) {
    public AttentionLayout {
        if (offset < 0 || sB < 0 || sH < 0 || sN < 0) {
            throw new IllegalArgumentException("attention layout offset and strides must be >= 0, got " + this);
        }
    }

    /** A contiguous [B, H, N, D] tensor. */
    public static AttentionLayout contiguous(int heads, int tokens, int headDim) {
        return new AttentionLayout(0, heads * tokens * headDim, tokens * headDim, headDim);
    }

    /** A contiguous [B, N, H, D] tensor, i.e. [B, N, H*D] with heads side by side (the output projection input). */
    public static AttentionLayout tokensMajor(int heads, int tokens, int headDim) {
        return new AttentionLayout(0, tokens * heads * headDim, headDim, heads * headDim);
    }

    /**
     * Part {@code which} (0 = q, 1 = k, 2 = v) of a fused qkv projection output [B, N, 3, H, D] (timm's order, which is
     * [B, N, 3*H*D] from a Linear with 3*H*D outputs).
     */
    public static AttentionLayout packedQkv(int which, int heads, int tokens, int headDim) {
        if (which < 0 || which > 2) {
            throw new IllegalArgumentException("packedQkv part must be 0 (q), 1 (k) or 2 (v), got " + which);
        }
        int hd = heads * headDim;
        return new AttentionLayout(which * hd, tokens * 3 * hd, headDim, 3 * hd);
    }

    /** Index of element (b, h, n, 0). */
    public int index(int b, int h, int n) {
        return offset + b * sB + h * sH + n * sN;
    }

    /** Largest index this layout touches for the given sizes, as a long so overflow is visible. */
    public long lastIndex(int batch, int heads, int tokens, int headDim) {
        return offset + (long) (batch - 1) * sB + (long) (heads - 1) * sH + (long) (tokens - 1) * sN + headDim - 1;
    }
}
