package org.mettle.models.htsat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.models.LayerConsumer;
import org.mettle.models.swin.Golden;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * The Java HTS-AT against the PyTorch reference of src/test/python/make_htsat_fixtures.py (the release's semantics
 * and names), loaded from a file in the Lightning checkpoint's layout (sed_model. prefix, extractors, buffers, head):
 * the folded image, every block's output and the final tokens to relative error 1e-5.
 */
class HtsatGoldenTest {
    private static final double TOL = 1e-5;

    @Test
    void matchesImageEveryBlockAndOutput() {
        try (Htsat model = (Htsat) HtsatModels.create("htsat_test", Backends.cpu(), 3);
             SafetensorsFile io = SafetensorsFile.open(Golden.path("htsat", "htsat_test.io.safetensors"));
             Scope scope = Scope.open(); var g = GradMode.noGrad()) {
            HtsatModels.loadWeights(model, Golden.path("htsat", "htsat_test.weights.safetensors"));
            Tensor input = Golden.tensor(io, "input");
            double imageErr = Golden.assertClose("folded image", model.toImage(input), io, "image", TOL);
            List<Tensor> layers = new ArrayList<>();
            LayerConsumer capture = out -> {
                assertEquals(layers.size(), out.layer());
                layers.add(out.tokens().toDevice(Backends.cpu()));
            };
            Tensor out = model.forward(input, capture);
            assertEquals(model.layerCount(), layers.size());
            StringBuilder report = new StringBuilder(String.format("htsat_test relative errors: image=%.1e", imageErr));
            for (int i = 0; i < layers.size(); i++) {
                report.append(String.format(" L%d=%.1e", i, Golden.assertClose("layer " + i, layers.get(i), io, "layer." + i, TOL)));
            }
            report.append(String.format(" out=%.1e", Golden.assertClose("output", out, io, "output", TOL)));
            Tensor full = model.forward(Golden.tensor(io, "input_full"), LayerConsumer.NONE);
            report.append(String.format(" out(no resize)=%.1e", Golden.assertClose("output without resize", full, io, "output_full", TOL)));
            System.out.println(report);
        }
    }
}
