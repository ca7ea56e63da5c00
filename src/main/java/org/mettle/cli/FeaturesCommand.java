package org.mettle.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.io.SafetensorsWriter;
import org.mettle.io.TensorInfo;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mettle features}: runs a frozen backbone on the tensor {@code input} of a safetensors file and writes the
 * final normed tokens ({@code output}, B x N x D) and optionally every block's output tokens ({@code layer.{i}}).
 */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = {"Extract features with a frozen backbone.",
            "Input: 'input', B x 3 x H x W frames (B x T x F spectrograms for audio architectures).",
            "Output: 'output', the final normed tokens B x N x D (cls token first for ViT);",
            "with --layers all also 'layer.{i}', every block's output tokens."})
public final class FeaturesCommand implements Runnable {
    @Option(names = "--arch", required = true, paramLabel = "NAME", description = "architecture, e.g. vit_base_patch16_224")
    String arch;

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "checkpoint (timm / AST names)")
    Path weights;

    @Option(names = "--input", required = true, paramLabel = "X.safetensors", description = "file with the tensor 'input'")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "Y.safetensors", description = "features file to write (atomically)")
    Path output;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda", description = "auto, cpu or cuda (default ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--layers", defaultValue = "last", paramLabel = "all|last", description = "last: only 'output'; all: also 'layer.{i}' (default ${DEFAULT-VALUE})")
    String layers;

    @Override
    public void run() {
        boolean allLayers = switch (layers.toLowerCase(Locale.ROOT)) {
            case "all" -> true;
            case "last" -> false;
            default -> throw new IllegalArgumentException("--layers " + layers + ": expected all or last");
        };
        if (!Architectures.isKnown(arch)) {
            throw new IllegalArgumentException("unknown architecture '" + arch + "'; known: " + String.join(", ", Architectures.names()));
        }
        requireFile("--weights", weights);
        requireFile("--input", input);
        Path outDir = output.toAbsolutePath().getParent();
        if (outDir == null || !Files.isDirectory(outDir)) {
            throw new IllegalArgumentException("--output " + output + ": directory " + outDir + " does not exist");
        }
        Backend backend = Backends.select(device);
        if (backend.device() == Device.META) {
            throw new IllegalArgumentException("--device meta computes no values; use --device auto, cpu or cuda");
        }
        long start = System.nanoTime();
        List<Tensor> layerOutputs = new ArrayList<>();
        try (Tensor x = readInput(backend);
             Backbone model = Architectures.create(arch, backend, 0);
             var noGrad = GradMode.noGrad()) {
            Architectures.loadWeights(model, weights);
            LayerConsumer keepLayers = out -> layerOutputs.add(out.tokens().share());
            try (Tensor y = model.forward(x, allLayers ? keepLayers : LayerConsumer.NONE)) {
                write(y, layerOutputs, x);
            }
        } finally {
            layerOutputs.forEach(Tensor::close);
        }
        System.out.printf(Locale.ROOT, "features: %s on %s -> %s ('output'%s) in %.2f s%n", arch, input, output,
                allLayers ? " and " + layerOutputs.size() + " 'layer.{i}'" : "", (System.nanoTime() - start) / 1e9);
    }

    private static void requireFile(String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + " " + file + ": no such file");
        }
    }

    /** The tensor 'input' of the input file, checked against the architecture before its data is read. */
    private Tensor readInput(Backend backend) {
        try (SafetensorsFile f = SafetensorsFile.open(input)) {
            if (!f.contains("input")) {
                List<String> names = f.names();
                String held = names.isEmpty() ? "nothing" : String.join(", ", names.subList(0, Math.min(8, names.size())))
                        + (names.size() > 8 ? ", ... (" + names.size() + " tensors)" : "");
                throw new IllegalArgumentException(input + " has no tensor named 'input' (it holds: " + held
                        + "); expected 'input' as " + Architectures.inputSpec(arch).describe());
            }
            TensorInfo info = f.info("input");
            if (!info.dtype().isFloating()) {
                throw new IllegalArgumentException(input + ": tensor 'input' has dtype " + info.dtype() + "; expected F32, F16 or BF16");
            }
            try {
                Architectures.checkInput(arch, info.toShape());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(input + ": tensor 'input' has the wrong shape: " + e.getMessage(), e);
            }
            return Tensor.of(backend, f.readFloats("input"), info.shape()).untrack();
        }
    }

    private void write(Tensor y, List<Tensor> layerOutputs, Tensor x) {
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", "mettle-features")
                .metadata("arch", arch)
                .metadata("weights", weights.getFileName().toString())
                .metadata("input_shape", x.shape().toString())
                .metadata("layers", Integer.toString(layerOutputs.size()));
        addStreamed(w, "output", y);
        for (int i = 0; i < layerOutputs.size(); i++) {
            addStreamed(w, "layer." + i, layerOutputs.get(i));
        }
        w.write(output);
    }

    /** Adds t as F32, copied to the file in chunks when the writer gets to it (no second full copy in memory). */
    private static void addStreamed(SafetensorsWriter w, String name, Tensor t) {
        w.addStreamed(name, DType.F32, t.shape().dims(), channel -> {
            float[] values = t.toFloatArray();
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            int at = 0;
            while (at < values.length) {
                int n = Math.min(values.length - at, buf.capacity() / 4);
                buf.clear();
                buf.asFloatBuffer().put(values, at, n);
                buf.limit(n * 4);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                at += n;
            }
        });
    }
}
