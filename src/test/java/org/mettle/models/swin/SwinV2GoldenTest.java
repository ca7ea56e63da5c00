package org.mettle.models.swin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.models.LayerConsumer;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * The Java Swin-V2 against the PyTorch reference of src/test/python/make_swin_fixtures.py (timm's semantics and
 * names): every block's output and the final tokens to relative error 1e-5, weights loaded through the real loader
 * (timm layout for one configuration, the original Microsoft layout for the other).
 */
class SwinV2GoldenTest {
    private static final double TOL = 1e-5;

    @Test
    void window4MatchesEveryBlockWithTimmLayout() {
        check("swinv2_test_window4_64");
    }

    @Test
    void window6WithPretrainedWindowsMatchesEveryBlockWithOriginalLayout() {
        check("swinv2_test_window6_96");
    }

    private static void check(String arch) {
        try (SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create(arch, Backends.cpu(), 7);
             SafetensorsFile io = SafetensorsFile.open(Golden.path("swin", arch + ".io.safetensors"));
             Scope scope = Scope.open(); var g = GradMode.noGrad()) {
            model.load(Golden.path("swin", arch + ".weights.safetensors"));
            Tensor input = Golden.tensor(io, "input");
            List<float[]> layers = new ArrayList<>();
            List<int[]> shapes = new ArrayList<>();
            LayerConsumer capture = out -> {
                assertEquals(layers.size(), out.layer());
                layers.add(out.tokens().toFloatArray());
                shapes.add(out.tokens().shape().dims());
            };
            // twice: the second forward runs on the cached position biases, masks and gather orders
            for (int run = 0; run < 2; run++) {
                layers.clear();
                shapes.clear();
                Tensor out = model.forward(input, capture);
                assertEquals(model.layerCount(), layers.size());
                StringBuilder report = new StringBuilder(arch + " run " + run + " relative errors:");
                for (int i = 0; i < layers.size(); i++) {
                    try (Tensor t = Tensor.of(layers.get(i), shapes.get(i))) {
                        report.append(String.format(" L%d=%.1e", i, Golden.assertClose(arch + " layer " + i, t, io, "layer." + i, TOL)));
                    }
                }
                report.append(String.format(" out=%.1e", Golden.assertClose(arch + " output", out, io, "output", TOL)));
                System.out.println(report);
                out.close();
            }
        }
    }

    @Test
    void gradientsThroughTheBackboneMatchPyTorch() {
        String arch = "swinv2_test_window4_64";
        try (SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create(arch, Backends.cpu(), 7);
             SafetensorsFile io = SafetensorsFile.open(Golden.path("swin", arch + ".io.safetensors"));
             Scope scope = Scope.open()) {
            model.load(Golden.path("swin", arch + ".weights.safetensors"));
            model.trainable(true);
            Tensor out = model.forward(Golden.tensor(io, "input"), LayerConsumer.NONE);
            Golden.assertClose("output with grad", out, io, "output", TOL);
            out.mul(Golden.tensor(io, "grad_output")).sum().backward();
            Map<String, Tensor> params = model.namedParameters();
            StringBuilder report = new StringBuilder("gradient relative errors:");
            for (String name : io.names()) {
                if (name.startsWith("grad.")) {
                    String p = name.substring("grad.".length());
                    double err = Golden.assertClose("grad of " + p, params.get(p).grad(), io, name, 1e-4);
                    report.append(String.format(" %s=%.1e", p, err));
                }
            }
            System.out.println(report);
            model.zeroGrad();
        }
    }
}
