package org.mettle.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.tensor.Tensor;

/**
 * The Java ViT against the PyTorch reference of src/test/python/make_vit_fixtures.py (timm / AST semantics, checked
 * there against torchvision's ViT too): every block's output and the final normed tokens, relative error
 * max|java - torch| / max|torch| per tensor at most 1e-5 in fp32. The weights load from files named as the real
 * checkpoints are (timm names plus a classifier head; AST's "module.v." names plus head, head_dist and mlp_head).
 */
class VitGoldenTest {
    static final double TOLERANCE = 1e-5;

    static Path golden(String file) {
        URL url = VitGoldenTest.class.getResource("/golden/vit/" + file);
        assertNotNull(url, "missing test resource golden/vit/" + file + " (run src/test/python/make_vit_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** max|a - b| / max|b|. */
    static double relativeError(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, "element count");
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < expected.length; i++) {
            diff = Math.max(diff, Math.abs((double) actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs((double) expected[i]));
        }
        return diff / scale;
    }

    /** prepacked: the frozen Linear weights packed once for the CPU GEMM (Module#prepackLinears), as inference uses. */
    @ParameterizedTest(name = "{0} prepacked={1}")
    @CsvSource({"vit_test_patch8_32,false", "ast_test_patch16_32x57,false", "vit_test_patch8_32,true", "ast_test_patch16_32x57,true"})
    void everyBlockMatchesPyTorch(String arch, boolean prepacked) {
        try (SafetensorsFile io = SafetensorsFile.open(golden(arch + ".io.safetensors"));
             Backbone model = Architectures.create(arch, Backends.cpu(), 99);
             Tensor input = Tensor.of(io.readFloats("input"), io.info("input").shape()).untrack();
             var noGrad = GradMode.noGrad()) {
            Architectures.loadWeights(model, golden(arch + ".weights.safetensors"));
            if (prepacked) {
                model.module().trainable(false);
                int layers = model.layerCount();
                assertEquals(4 * layers, model.module().prepackLinears(), "qkv, proj, fc1 and fc2 of every block");
            }
            List<float[]> layers = new ArrayList<>();
            List<int[]> shapes = new ArrayList<>();
            try (Tensor out = model.forward(input, o -> {
                assertEquals(layers.size(), o.layer(), "layers arrive in order");
                layers.add(o.tokens().toFloatArray());
                shapes.add(o.tokens().shape().dims());
            })) {
                assertEquals(model.layerCount(), layers.size());
                StringBuilder report = new StringBuilder(arch + ":");
                for (int i = 0; i < layers.size(); i++) {
                    String name = "layer." + i;
                    assertArrayEquals(io.info(name).shape(), shapes.get(i), name + " shape");
                    double err = relativeError(layers.get(i), io.readFloats(name));
                    report.append(String.format(" %s %.2e", name, err));
                    assertTrue(err <= TOLERANCE, name + " relative error " + err);
                }
                assertArrayEquals(io.info("output").shape(), out.shape().dims(), "output shape");
                double err = relativeError(out.toFloatArray(), io.readFloats("output"));
                report.append(String.format(" output %.2e", err));
                assertTrue(err <= TOLERANCE, "output relative error " + err);
                System.out.println(report);
            }
        }
    }
}
