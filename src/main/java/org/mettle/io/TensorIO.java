package org.mettle.io;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mettle.backend.Backend;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Moves engine tensors to and from safetensors files. Loaded tensors are counted as WEIGHTS. */
public final class TensorIO {
    private TensorIO() {}

    /**
     * Loads every tensor of a file onto backend: F32/F16/BF16 become F32, I32/I64 become I32 (I64 values outside the
     * int range are an error naming the tensor). The caller owns (closes) the returned tensors.
     */
    public static Map<String, Tensor> load(Path file, Backend backend) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            try {
                for (String name : f.names()) {
                    out.put(name, load(f, name, backend));
                }
            } catch (RuntimeException e) {
                out.values().forEach(Tensor::close);
                throw e;
            }
            return out;
        }
    }

    /** Loads one tensor (see {@link #load(Path, Backend)} for the dtype rules). */
    public static Tensor load(SafetensorsFile f, String name, Backend backend) {
        TensorInfo info = f.info(name);
        Shape shape = info.toShape();
        boolean integer = info.dtype() == DType.I32 || info.dtype() == DType.I64;
        try (var c = MemoryCategory.using(MemoryCategory.WEIGHTS)) {
            Tensor t = Tensor.empty(backend, shape, integer ? DType.I32 : DType.F32).untrack().named(name);
            if (backend.device() == Device.META) {
                return t;
            }
            try {
                if (integer) {
                    backend.writeInts(t, f.readInts(name));
                } else {
                    backend.write(t, f.readFloats(name));
                }
            } catch (RuntimeException e) {
                t.close();
                throw e;
            }
            return t;
        }
    }

    /**
     * Writes tensors (F32 and I32, stored as such, or F32 converted to storeAs when it is BF16/F16) atomically with the
     * given metadata. Tensors must hold data (not the meta device).
     */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, DType storeAs) {
        if (storeAs != DType.F32 && storeAs != DType.BF16 && storeAs != DType.F16) {
            throw new IllegalArgumentException("floating tensors can be stored as F32, BF16 or F16, not " + storeAs);
        }
        SafetensorsWriter w = new SafetensorsWriter();
        if (metadata != null) {
            metadata.forEach(w::metadata);
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            int[] dims = t.shape().dims();
            if (t.dtype() == DType.I32) {
                w.addInts(e.getKey(), dims, t.toIntArray());
            } else {
                w.addFloats(e.getKey(), dims, t.toFloatArray(), storeAs);
            }
        }
        w.write(file);
    }
}
