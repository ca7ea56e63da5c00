package org.mettle.models.swin;

import java.util.HashMap;
import java.util.Map;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * Where the tokens of an H x W grid go for one (shifted) window attention: the cyclic shift by -shift and the
 * partition into windows become one row gather (and its inverse), so a block needs no roll or permute copies.
 * Windows are ordered image-major (window w of image b is row b * numWindows + w), which is what the attention's
 * {@code b % Bb} rule expects of a [numWindows, 1, N, N] mask. Holds the constant tensors (relative position index,
 * shift mask, gather orders per batch size); they count as WEIGHTS and are shared by every block with this layout.
 */
public final class WindowLayout implements AutoCloseable {
    /** Mask value between tokens of different regions of a shifted window (timm's -100). */
    public static final float MASKED = -100f;

    private final Backend backend;
    private final int height;
    private final int width;
    private final int windowH;
    private final int windowW;
    private final int shiftH;
    private final int shiftW;
    private final Map<Integer, Tensor[]> orders = new HashMap<>();
    private Tensor relativeIndex;
    private Tensor mask;

    /** Explicit geometry; the window must tile the grid and each shift must be smaller than its window. */
    public WindowLayout(Backend backend, int height, int width, int windowH, int windowW, int shiftH, int shiftW) {
        if (windowH < 1 || windowW < 1 || height % windowH != 0 || width % windowW != 0) {
            throw new IllegalArgumentException("window " + windowH + "x" + windowW + " does not tile the " + height + "x" + width
                    + " token grid; choose an image size whose patch grid at every stage is a multiple of the window"
                    + " (or at most the window)");
        }
        if (shiftH < 0 || shiftH >= windowH || shiftW < 0 || shiftW >= windowW) {
            throw new IllegalArgumentException("shift " + shiftH + "x" + shiftW + " must be in [0, window) for window " + windowH + "x" + windowW);
        }
        this.backend = backend;
        this.height = height;
        this.width = width;
        this.windowH = windowH;
        this.windowW = windowW;
        this.shiftH = shiftH;
        this.shiftW = shiftW;
    }

    /**
     * timm's Swin-V2 rule, per axis: where the resolution is at most the window, the window shrinks to the
     * resolution and there is no shift; elsewhere the shift (for shifted blocks) is window / 2.
     */
    public static WindowLayout timmV2(Backend backend, int height, int width, int window, boolean shifted) {
        int wh = height <= window ? height : window;
        int ww = width <= window ? width : window;
        int sh = !shifted || height <= window ? 0 : window / 2;
        int sw = !shifted || width <= window ? 0 : window / 2;
        return new WindowLayout(backend, height, width, wh, ww, sh, sw);
    }

    /**
     * The original Swin (V1) rule that HTS-AT keeps: when min(H, W) is at most the window, the square window
     * becomes min(H, W) and nothing is shifted.
     */
    public static WindowLayout swinV1(Backend backend, int height, int width, int window, boolean shifted) {
        int small = Math.min(height, width);
        if (small <= window) {
            return new WindowLayout(backend, height, width, small, small, 0, 0);
        }
        int s = shifted ? window / 2 : 0;
        return new WindowLayout(backend, height, width, window, window, s, s);
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int windowH() {
        return windowH;
    }

    public int windowW() {
        return windowW;
    }

    public boolean shifted() {
        return shiftH != 0 || shiftW != 0;
    }

    /** Tokens per window. */
    public int windowArea() {
        return windowH * windowW;
    }

    public int numWindows() {
        return (height / windowH) * (width / windowW);
    }

    /** Tokens per image. */
    public int tokens() {
        return height * width;
    }

    /** True when the window order is the natural token order (one unshifted window covers the grid). */
    public boolean identityOrder() {
        return !shifted() && windowH == height && windowW == width;
    }

    /** I32 [N * N]: row i*N + j holds the relative-position-table row of query token i and key token j. */
    public synchronized Tensor relativeIndex() {
        if (relativeIndex == null) {
            int n = windowArea();
            int[] idx = new int[n * n];
            for (int p = 0; p < n; p++) {
                for (int q = 0; q < n; q++) {
                    int dy = p / windowW - q / windowW + windowH - 1;
                    int dx = p % windowW - q % windowW + windowW - 1;
                    idx[p * n + q] = dy * (2 * windowW - 1) + dx;
                }
            }
            relativeIndex = SwinParams.constantInts(backend, idx, n * n);
        }
        return relativeIndex;
    }

    /** Rows of the relative position table: (2 windowH - 1) (2 windowW - 1). */
    public int relativeTableRows() {
        return (2 * windowH - 1) * (2 * windowW - 1);
    }

    /**
     * [numWindows, 1, N, N]: 0 between tokens of the same region of the shifted grid, -100 across regions (the
     * wrapped-around strips of the cyclic shift); null when the layout has no shift.
     */
    public synchronized Tensor mask() {
        if (!shifted()) {
            return null;
        }
        if (mask == null) {
            int[] region = new int[height * width];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    region[y * width + x] = band(y, height, windowH, shiftH) * 3 + band(x, width, windowW, shiftW);
                }
            }
            int n = windowArea();
            int nw = numWindows();
            int perRow = width / windowW;
            float[] m = new float[nw * n * n];
            int[] label = new int[n];
            for (int w = 0; w < nw; w++) {
                int y0 = (w / perRow) * windowH;
                int x0 = (w % perRow) * windowW;
                for (int t = 0; t < n; t++) {
                    label[t] = region[(y0 + t / windowW) * width + x0 + t % windowW];
                }
                for (int p = 0; p < n; p++) {
                    for (int q = 0; q < n; q++) {
                        m[(w * n + p) * n + q] = label[p] == label[q] ? 0f : MASKED;
                    }
                }
            }
            mask = SwinParams.constant(backend, m, nw, 1, n, n);
        }
        return mask;
    }

    /** Region of coordinate c along an axis of the shifted grid: [0, size-window), [size-window, size-shift), rest. */
    private static int band(int c, int size, int window, int shift) {
        if (c < size - window) {
            return 0;
        }
        return c < size - shift ? 1 : 2;
    }

    /**
     * Tokens [B, H*W, C] in natural order to windows [B * numWindows, N, C] (shifted by -shift first). Returns x
     * itself (same handle) when the order is the identity.
     */
    public Tensor toWindows(Tensor x) {
        int b = x.dim(0);
        if (identityOrder()) {
            return x;
        }
        return gather(x, orders(b)[0], Shape.of(b * numWindows(), windowArea(), x.dim(2)));
    }

    /** The inverse of {@link #toWindows}: windows [B * numWindows, N, C] back to tokens [B, H*W, C]. */
    public Tensor fromWindows(Tensor windows, int batch) {
        if (identityOrder()) {
            return windows.reshape(batch, tokens(), windows.dim(-1));
        }
        return gather(windows, orders(batch)[1], Shape.of(batch, tokens(), windows.dim(-1)));
    }

    private static Tensor gather(Tensor x, Tensor order, Shape outShape) {
        int c = x.dim(-1);
        Tensor rows = x.reshape(-1, c);
        Tensor g = ShapeOps.indexSelect(rows, order);
        Tensor out = g.reshape(outShape.dims());
        rows.close();
        g.close();
        return out;
    }

    /** {window order, its inverse} for a batch size: I32 [B * H * W] row indices. */
    private synchronized Tensor[] orders(int batch) {
        Tensor[] o = orders.get(batch);
        if (o == null) {
            int l = tokens();
            int n = windowArea();
            int perRow = width / windowW;
            int nw = numWindows();
            int[] forward = new int[batch * l];
            int[] inverse = new int[batch * l];
            for (int b = 0; b < batch; b++) {
                for (int w = 0; w < nw; w++) {
                    int y0 = (w / perRow) * windowH;
                    int x0 = (w % perRow) * windowW;
                    for (int t = 0; t < n; t++) {
                        // shifted[y][x] = x[(y + shift) mod H][(x + shift) mod W] (torch.roll by -shift)
                        int sy = (y0 + t / windowW + shiftH) % height;
                        int sx = (x0 + t % windowW + shiftW) % width;
                        int dst = (b * nw + w) * n + t;
                        int src = b * l + sy * width + sx;
                        forward[dst] = src;
                        inverse[src] = dst;
                    }
                }
            }
            o = new Tensor[] {SwinParams.constantInts(backend, forward, batch * l), SwinParams.constantInts(backend, inverse, batch * l)};
            orders.put(batch, o);
        }
        return o;
    }

    @Override
    public synchronized void close() {
        relativeIndex = SwinParams.close(relativeIndex);
        mask = SwinParams.close(mask);
        for (Tensor[] o : orders.values()) {
            o[0].close();
            o[1].close();
        }
        orders.clear();
    }

    @Override
    public String toString() {
        return height + "x" + width + " tokens, window " + windowH + "x" + windowW + ", shift " + shiftH + "x" + shiftW;
    }
}
