package org.mettle.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.mettle.io.SafetensorsException;
import org.mettle.io.SafetensorsFile;
import org.mettle.io.SafetensorsWriter;
import org.mettle.io.TensorInfo;
import org.mettle.tensor.DType;
import org.mettle.tensor.Tensor;

/**
 * Training checkpoints as safetensors: trainable tensors only ("params/NAME"), AdamW moments per optimizer group
 * ("optim/GROUP/NAME/exp_avg", ".../exp_avg_sq"), and in {@code __metadata__} the format, run config JSON, epoch,
 * global step, RNG state, best metric, each group's optimizer step and a CRC32 over all of it. Everything is F32, so a
 * reload is bit-exact. Writes are atomic (temp file, fsync, rename: a failed save leaves the previous file intact);
 * loads validate the whole file (names, shapes, checksum) before changing any tensor.
 */
public final class Checkpoint {
    public static final String FORMAT = "mettle-checkpoint/1";
    private static final String PARAMS = "params/";
    private static final String OPTIM = "optim/";
    private static final String[] MOMENT_NAMES = {"exp_avg", "exp_avg_sq"};

    private Checkpoint() {}

    /**
     * Saves trainable (name to tensor), the optimizers (group name to AdamW; every parameter they update must be one of
     * trainable's tensors) and state to file atomically.
     */
    public static void save(Path file, Map<String, Tensor> trainable, Map<String, AdamW> optimizers, RunState state) {
        IdentityHashMap<Tensor, String> nameOf = namesByIdentity(trainable);
        TreeMap<String, float[]> data = new TreeMap<>();
        TreeMap<String, int[]> shapes = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
            put(data, shapes, PARAMS + e.getKey(), e.getValue());
        }
        TreeMap<String, String> meta = new TreeMap<>();
        meta.put("format", FORMAT);
        meta.put("config", state.configJson());
        meta.put("epoch", Integer.toString(state.epoch()));
        meta.put("global_step", Long.toString(state.globalStep()));
        meta.put("rng", state.rngState());
        meta.put("best_metric", Double.toString(state.bestMetric()));
        for (Map.Entry<String, AdamW> g : optimizers.entrySet()) {
            String group = checkGroupName(g.getKey());
            meta.put(OPTIM + group + "/step", Integer.toString(AdamWState.step(g.getValue())));
            for (Tensor p : AdamWState.params(g.getValue())) {
                String name = nameOf.get(p);
                if (name == null) {
                    throw new IllegalArgumentException("optimizer group '" + group + "' updates a tensor " + p.shape()
                            + " that is not among the checkpoint's trainable tensors; pass every trainable tensor by name");
                }
                Tensor[] mv = AdamWState.moments(g.getValue(), p);
                if (mv != null) {
                    for (int i = 0; i < 2; i++) {
                        put(data, shapes, momentName(group, name, i), mv[i]);
                    }
                }
            }
        }
        meta.put("checksum", checksum(data, shapes, meta));
        SafetensorsWriter w = new SafetensorsWriter();
        meta.forEach(w::metadata);
        data.forEach((name, values) -> w.addFloats(name, shapes.get(name), values, DType.F32));
        w.write(file);
    }

    /** Reads only the run state (epoch, step, RNG, config) after validating the file. */
    public static RunState readState(Path file) {
        try (SafetensorsFile f = open(file)) {
            Contents c = readVerified(f);
            return runState(c.meta, file);
        }
    }

    /**
     * Restores trainable and the optimizers from file and returns the run state. The file must hold exactly these
     * tensor names with the same shapes, and exactly these optimizer groups (pass optimizers = null to restore
     * parameters only, e.g. for evaluation). Nothing is changed when the file is rejected.
     */
    public static RunState load(Path file, Map<String, Tensor> trainable, Map<String, AdamW> optimizers) {
        try (SafetensorsFile f = open(file)) {
            Contents c = readVerified(f);
            RunState state = runState(c.meta, file);
            // Validate everything first.
            List<String> unexpected = new ArrayList<>();
            for (String name : c.data.keySet()) {
                if (name.startsWith(PARAMS) && !trainable.containsKey(name.substring(PARAMS.length()))) {
                    unexpected.add(name);
                }
            }
            for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
                checkShape(file, c, PARAMS + e.getKey(), e.getValue(), true);
            }
            Map<String, Integer> steps = new LinkedHashMap<>();
            Map<String, IdentityHashMap<Tensor, float[][]>> moments = new LinkedHashMap<>();
            if (optimizers != null) {
                IdentityHashMap<Tensor, String> nameOf = namesByIdentity(trainable);
                List<String> expectedMoments = new ArrayList<>();
                for (Map.Entry<String, AdamW> g : optimizers.entrySet()) {
                    String group = checkGroupName(g.getKey());
                    String stepText = c.meta.get(OPTIM + group + "/step");
                    if (stepText == null) {
                        throw new SafetensorsException(file + ": checkpoint has no optimizer group '" + group
                                + "' (groups in the file: " + groupsIn(c.meta) + "); the run's optimizer setup changed");
                    }
                    steps.put(group, parseInt(stepText, "optimizer step of group " + group, file));
                    IdentityHashMap<Tensor, float[][]> values = new IdentityHashMap<>();
                    for (Tensor p : AdamWState.params(g.getValue())) {
                        String name = nameOf.get(p);
                        if (name == null) {
                            throw new IllegalArgumentException("optimizer group '" + group + "' updates a tensor "
                                    + p.shape() + " that is not among the trainable tensors passed to load");
                        }
                        boolean m = checkShape(file, c, momentName(group, name, 0), p, false);
                        boolean v = checkShape(file, c, momentName(group, name, 1), p, false);
                        if (m != v) {
                            throw new SafetensorsException(file + ": optimizer group '" + group + "' has only one of the"
                                    + " two moments of '" + name + "'; the checkpoint is damaged");
                        }
                        if (m) {
                            expectedMoments.add(momentName(group, name, 0));
                            expectedMoments.add(momentName(group, name, 1));
                            values.put(p, new float[][] {c.data.get(momentName(group, name, 0)), c.data.get(momentName(group, name, 1))});
                        }
                    }
                    moments.put(group, values);
                }
                for (String name : c.data.keySet()) {
                    if (name.startsWith(OPTIM) && !expectedMoments.contains(name)) {
                        unexpected.add(name);
                    }
                }
                for (String key : c.meta.keySet()) {
                    if (key.startsWith(OPTIM) && !(key.endsWith("/step") && key.length() > OPTIM.length() + "/step".length()
                            && optimizers.containsKey(key.substring(OPTIM.length(), key.length() - "/step".length())))) {
                        unexpected.add(key + " (optimizer group)");
                    }
                }
            }
            if (!unexpected.isEmpty()) {
                throw new SafetensorsException(file + ": checkpoint holds entries the model does not have: " + unexpected
                        + "; it was written for a different model or method");
            }
            // Then restore.
            for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
                e.getValue().backend().write(e.getValue(), c.data.get(PARAMS + e.getKey()));
            }
            if (optimizers != null) {
                for (Map.Entry<String, AdamW> g : optimizers.entrySet()) {
                    AdamWState.restore(g.getValue(), steps.get(g.getKey()), moments.get(g.getKey()));
                }
            }
            return state;
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private record Contents(TreeMap<String, float[]> data, TreeMap<String, int[]> shapes, TreeMap<String, String> meta) {}

    private static SafetensorsFile open(Path file) {
        try {
            return SafetensorsFile.open(file);
        } catch (SafetensorsException e) {
            throw new SafetensorsException("cannot load checkpoint: " + e.getMessage(), e);
        }
    }

    private static Contents readVerified(SafetensorsFile f) {
        Path file = f.path();
        TreeMap<String, String> meta = new TreeMap<>(f.metadata());
        if (!FORMAT.equals(meta.get("format"))) {
            throw new SafetensorsException(file + ": not a Mettle training checkpoint (metadata format is '"
                    + meta.get("format") + "', expected '" + FORMAT + "')");
        }
        TreeMap<String, float[]> data = new TreeMap<>();
        TreeMap<String, int[]> shapes = new TreeMap<>();
        for (TensorInfo info : f.tensors()) {
            if (info.dtype() != DType.F32) {
                throw new SafetensorsException(file + ": tensor '" + info.name() + "' is " + info.dtype()
                        + "; checkpoints store F32 only");
            }
            data.put(info.name(), f.readFloats(info.name()));
            shapes.put(info.name(), info.toShape().dims());
        }
        String stored = meta.remove("checksum");
        String actual = checksum(data, shapes, meta);
        if (!actual.equals(stored)) {
            throw new SafetensorsException(file + ": checksum mismatch (stored " + stored + ", computed " + actual
                    + "); the checkpoint is corrupted. Use an earlier checkpoint (best/last) or retrain");
        }
        return new Contents(data, shapes, meta);
    }

    private static RunState runState(Map<String, String> meta, Path file) {
        for (String key : List.of("config", "epoch", "global_step", "rng", "best_metric")) {
            if (!meta.containsKey(key)) {
                throw new SafetensorsException(file + ": checkpoint metadata lacks '" + key + "'");
            }
        }
        double best;
        long step;
        try {
            best = Double.parseDouble(meta.get("best_metric"));
            step = Long.parseLong(meta.get("global_step"));
        } catch (NumberFormatException e) {
            throw new SafetensorsException(file + ": checkpoint metadata best_metric/global_step is not a number", e);
        }
        return new RunState(parseInt(meta.get("epoch"), "epoch", file), step, meta.get("rng"), best, meta.get("config"));
    }

    /** True when name is in the file with p's shape; false when absent and not required; otherwise an error. */
    private static boolean checkShape(Path file, Contents c, String name, Tensor p, boolean required) {
        int[] stored = c.shapes.get(name);
        if (stored == null) {
            if (required) {
                throw new SafetensorsException(file + ": checkpoint has no tensor '" + name + "' (expected shape "
                        + p.shape() + "); it was written for a different model or method");
            }
            return false;
        }
        if (!Arrays.equals(stored, p.shape().dims())) {
            throw new SafetensorsException(file + ": tensor '" + name + "' has shape " + Arrays.toString(stored)
                    + " but the model expects " + Arrays.toString(p.shape().dims()));
        }
        return true;
    }

    private static void put(TreeMap<String, float[]> data, TreeMap<String, int[]> shapes, String name, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException("checkpoint tensor '" + name + "' is " + t.dtype() + "; only F32 is supported");
        }
        data.put(name, t.toFloatArray());
        shapes.put(name, t.shape().dims());
    }

    private static String momentName(String group, String param, int which) {
        return OPTIM + group + "/" + param + "/" + MOMENT_NAMES[which];
    }

    private static String checkGroupName(String group) {
        if (group.isEmpty() || group.contains("/")) {
            throw new IllegalArgumentException("optimizer group name '" + group + "' must be non-empty and contain no '/'");
        }
        return group;
    }

    private static List<String> groupsIn(Map<String, String> meta) {
        List<String> out = new ArrayList<>();
        for (String key : meta.keySet()) {
            if (key.startsWith(OPTIM) && key.endsWith("/step")) {
                out.add(key.substring(OPTIM.length(), key.length() - "/step".length()));
            }
        }
        return out;
    }

    private static IdentityHashMap<Tensor, String> namesByIdentity(Map<String, Tensor> trainable) {
        IdentityHashMap<Tensor, String> out = new IdentityHashMap<>();
        trainable.forEach((name, t) -> out.put(t, name));
        return out;
    }

    private static int parseInt(String text, String what, Path file) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SafetensorsException(file + ": checkpoint " + what + " '" + text + "' is not an integer", e);
        }
    }

    /** CRC32 over names, shapes and float bits of every tensor and every metadata entry, in sorted order. */
    private static String checksum(TreeMap<String, float[]> data, TreeMap<String, int[]> shapes, TreeMap<String, String> meta) {
        CRC32 crc = new CRC32();
        for (Map.Entry<String, float[]> e : data.entrySet()) {
            crc.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            crc.update(Arrays.toString(shapes.get(e.getKey())).getBytes(StandardCharsets.UTF_8));
            ByteBuffer bytes = ByteBuffer.allocate(e.getValue().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(e.getValue());
            crc.update(bytes);
        }
        for (Map.Entry<String, String> e : meta.entrySet()) {
            crc.update((e.getKey() + "=" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return String.format("%08x", crc.getValue());
    }
}
