package org.mettle.models.swin;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Linear;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * Swin patch merging: each 2x2 neighbourhood of an H x W grid is concatenated in the order (0,0), (1,0), (0,1),
 * (1,1) (row offset first, as Swin's x0..x3) into 4C channels, then {@code reduction} (Linear 4C -> 2C, no bias) and
 * {@code norm}. Swin-V2 (timm) normalises AFTER the reduction over 2C; Swin-V1 (HTS-AT) normalises BEFORE it over 4C.
 */
public final class PatchMerging extends Module {
    private final boolean normFirst;
    private final int height;
    private final int width;
    private final Linear reduction;
    private final LayerNorm norm;
    private final Map<Integer, Tensor> orders = new HashMap<>();

    public PatchMerging(Backend backend, Random random, int dim, int height, int width, boolean normFirst) {
        super(backend);
        if (height % 2 != 0 || width % 2 != 0) {
            throw new IllegalArgumentException("patch merging needs an even token grid, got " + height + "x" + width
                    + "; choose an image size whose patch grid halves evenly at every stage");
        }
        this.normFirst = normFirst;
        this.height = height;
        this.width = width;
        reduction = child("reduction", new Linear(backend, random, 4 * dim, 2 * dim, false));
        norm = child("norm", new LayerNorm(backend, normFirst ? 4 * dim : 2 * dim, 1e-5f));
    }

    /** Tokens [B, H*W, C] to [B, H/2 * W/2, 2C]. */
    public Tensor forward(Tensor x) {
        int b = x.dim(0);
        int c = x.dim(2);
        Tensor rows = x.reshape(-1, c);
        Tensor gathered = ShapeOps.indexSelect(rows, order(b));
        rows.close();
        Tensor merged = gathered.reshape(b, height * width / 4, 4 * c);
        gathered.close();
        Tensor first = normFirst ? norm.forward(merged) : reduction.forward(merged);
        merged.close();
        Tensor out = normFirst ? reduction.forward(first) : norm.forward(first);
        first.close();
        return out;
    }

    /** Row k of output token (b, y, x) is input token (b, 2y + (k & 1), 2x + (k >> 1)). */
    private synchronized Tensor order(int batch) {
        Tensor o = orders.get(batch);
        if (o == null) {
            int h2 = height / 2;
            int w2 = width / 2;
            int l = height * width;
            int[] idx = new int[batch * l];
            int at = 0;
            for (int b = 0; b < batch; b++) {
                for (int y = 0; y < h2; y++) {
                    for (int x = 0; x < w2; x++) {
                        for (int k = 0; k < 4; k++) {
                            idx[at++] = b * l + (2 * y + (k & 1)) * width + 2 * x + (k >> 1);
                        }
                    }
                }
            }
            o = SwinParams.constantInts(backend, idx, batch * l);
            orders.put(batch, o);
        }
        return o;
    }

    /** Frees the cached gather orders (the model's close() calls this). */
    public synchronized void releaseCaches() {
        for (Tensor o : orders.values()) {
            o.close();
        }
        orders.clear();
    }
}
