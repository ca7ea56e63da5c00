package org.mettle.models.swin;

import java.util.Random;
import org.mettle.autograd.ConvOps;
import org.mettle.backend.Backend;
import org.mettle.nn.LayerNorm;
import org.mettle.nn.Module;
import org.mettle.tensor.Tensor;

/**
 * Non-overlapping patch embedding (timm's and HTS-AT's PatchEmbed with a norm): conv patch x patch, stride patch,
 * then LayerNorm over channels. Names: {@code proj.weight}, {@code proj.bias}, {@code norm.weight}, {@code norm.bias}.
 */
public final class PatchEmbed extends Module {
    /** The conv's parameters under PyTorch's names. */
    private static final class Projection extends Module {
        final Tensor weight;
        final Tensor bias;

        Projection(Backend backend, Random random, int inChans, int dim, int patch) {
            super(backend);
            float bound = (float) (1.0 / Math.sqrt(inChans * patch * patch));
            weight = parameter("weight", SwinParams.uniform(backend, random, bound, dim, inChans, patch, patch));
            bias = parameter("bias", SwinParams.uniform(backend, random, bound, dim));
        }
    }

    private final int patch;
    private final Projection proj;
    private final LayerNorm norm;

    public PatchEmbed(Backend backend, Random random, int inChans, int dim, int patch) {
        super(backend);
        this.patch = patch;
        proj = child("proj", new Projection(backend, random, inChans, dim, patch));
        norm = child("norm", new LayerNorm(backend, dim, 1e-5f));
    }

    /** Image [B, Cin, H, W] to normed tokens [B, (H/patch) * (W/patch), dim], row-major over the patch grid. */
    public Tensor forward(Tensor image) {
        Tensor y = ConvOps.conv2d(image, proj.weight, proj.bias, patch, 0);
        int b = y.dim(0);
        int c = y.dim(1);
        int n = y.dim(2) * y.dim(3);
        Tensor nhwc = y.permute(0, 2, 3, 1);
        y.close();
        Tensor tokens = nhwc.reshape(b, n, c);
        nhwc.close();
        Tensor out = norm.forward(tokens);
        tokens.close();
        return out;
    }
}
