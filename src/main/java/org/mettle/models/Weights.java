package org.mettle.models;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import org.mettle.io.SafetensorsFile;
import org.mettle.io.TensorInfo;
import org.mettle.nn.Module;
import org.mettle.tensor.Device;
import org.mettle.tensor.Tensor;

/** Loads checkpoint tensors into a module's parameters by name, strictly. */
public final class Weights {
    private Weights() {}

    /**
     * Copies every parameter of module from file. {@code rename} maps a file name to a parameter name (null drops it,
     * e.g. to strip a prefix); {@code ignore} names file tensors to skip (classifier heads, recomputed buffers).
     * Any parameter missing from the file, any other tensor the module does not have, and any shape mismatch is an
     * error that lists every such tensor (file, name, expected and actual shape); nothing is loaded then.
     */
    public static void load(Module module, Path file, Function<String, String> rename, Predicate<String> ignore) {
        Map<String, Tensor> params = module.namedParameters();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            List<String> problems = new ArrayList<>();
            Map<String, String> sourceOf = new LinkedHashMap<>();
            Set<String> misShaped = new HashSet<>();
            for (String name : f.names()) {
                if (ignore.test(name)) {
                    continue;
                }
                String target = rename.apply(name);
                if (target == null || ignore.test(target)) {
                    continue;
                }
                Tensor p = params.get(target);
                if (p == null) {
                    problems.add("unexpected tensor '" + name + "'" + (target.equals(name) ? "" : " (as '" + target + "')")
                            + " " + Arrays.toString(f.info(name).shape()));
                    continue;
                }
                TensorInfo info = f.info(name);
                if (!Arrays.equals(info.shape(), p.shape().dims())) {
                    problems.add("tensor '" + name + "' has shape " + Arrays.toString(info.shape()) + ", the model expects " + p.shape());
                    misShaped.add(target);
                    continue;
                }
                if (sourceOf.put(target, name) != null) {
                    problems.add("tensors '" + sourceOf.get(target) + "' and '" + name + "' both map to '" + target + "'");
                }
            }
            TreeSet<String> missing = new TreeSet<>(params.keySet());
            missing.removeAll(sourceOf.keySet());
            missing.removeAll(misShaped);
            for (String m : missing) {
                problems.add("missing tensor '" + m + "' " + params.get(m).shape());
            }
            if (!problems.isEmpty()) {
                int shown = Math.min(problems.size(), 12);
                throw new IllegalArgumentException("cannot load " + file + " into " + module.getClass().getSimpleName() + ": "
                        + problems.size() + " problem(s):\n  " + String.join("\n  ", problems.subList(0, shown))
                        + (shown < problems.size() ? "\n  ... and " + (problems.size() - shown) + " more" : ""));
            }
            for (Map.Entry<String, String> e : sourceOf.entrySet()) {
                Tensor p = params.get(e.getKey());
                if (p.device() != Device.META) {
                    p.backend().write(p, f.readFloats(e.getValue()));
                }
            }
        }
    }

    /** Loads with names as they are, ignoring tensors whose names start with any of the given prefixes. */
    public static void load(Module module, Path file, String... ignoredPrefixes) {
        load(module, file, Function.identity(), n -> Arrays.stream(ignoredPrefixes).anyMatch(n::startsWith));
    }
}
