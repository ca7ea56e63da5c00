package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * The PTX modules of kernels/ (loaded lazily with cuModuleLoadData, one module per .cu file) and launches following
 * docs/kernels.md: 0 bytes of dynamic shared memory, the runtime's one stream, and no launch for an empty grid.
 */
final class CudaKernels {
    static final int MAX_GRID_YZ = 65535;

    private final CudaRuntime runtime;
    private final String suffix;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private long launches;
    /** Set by {@link #profileWith} when {@link CudaProfiler#enabled()}. */
    private CudaProfiler profiler;
    private KernelEventTimer eventTimer;

    CudaKernels(CudaRuntime runtime) {
        this.runtime = runtime;
        this.suffix = runtime.computeCapabilityMajor() >= 9 ? ".sm90.ptx" : ".sm80.ptx";
    }

    /** The .cu file (without extension) that defines a kernel, from its name prefix. */
    static String moduleOf(String kernel) {
        String[][] prefixes = {
            {"gemm_", "gemm"}, {"attn_", "attention"}, {"lcd_", "lcd"}, {"mti_", "mti"}, {"layernorm_", "layernorm"}, {"l2norm_", "layernorm"},
            {"softmax_", "softmax"}, {"ew_", "elementwise"}, {"reduce_", "reduce"}, {"ce_", "loss"}, {"bce_", "loss"},
            {"im2col_", "im2col"}, {"col2im_", "im2col"}, {"bilinear_", "interpolate"}, {"adamw_", "adamw"},
        };
        for (String[] p : prefixes) {
            if (kernel.startsWith(p[0])) {
                return p[1];
            }
        }
        throw new IllegalArgumentException("no kernel module for '" + kernel + "'");
    }

    synchronized CUfunction function(String kernel) {
        CUfunction f = functions.get(kernel);
        if (f != null) {
            return f;
        }
        runtime.makeCurrent();
        CUmodule module = modules.computeIfAbsent(moduleOf(kernel), this::load);
        f = new CUfunction();
        cuModuleGetFunction(f, module, kernel);
        functions.put(kernel, f);
        return f;
    }

    private CUmodule load(String file) {
        String resource = CudaRuntime.KERNEL_DIR + file + suffix;
        byte[] ptx;
        try (InputStream in = CudaKernels.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("CUDA kernel module " + resource + " is missing from the classpath; "
                        + "rebuild with nvcc (native/build-ptx.sh)");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            out.write(0); // cuModuleLoadData wants NUL-terminated PTX text
            ptx = out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
        CUmodule m = new CUmodule();
        cuModuleLoadData(m, ptx);
        return m;
    }

    /** Loads every module now (so JIT time is not charged to the first timed call). */
    void loadAll() {
        runtime.makeCurrent();
        for (String f : runtime.ptxFiles()) {
            String base = f.substring(0, f.length() - suffix.length());
            synchronized (this) {
                modules.computeIfAbsent(base, this::load);
            }
        }
    }

    static int cdiv(long a, long b) {
        long r = (a + b - 1) / b;
        if (r > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid of " + r + " blocks is too large");
        }
        return (int) r;
    }

    /** Blocks for a 1-D grid-stride kernel of block 256 over n elements. */
    static int gridStride(long n) {
        return (int) Math.min(cdiv(n, 256), MAX_GRID_YZ * 8L);
    }

    /**
     * Launches a kernel. Arguments: {@link CUdeviceptr} (null for a null pointer), Integer (int), Long (long long),
     * Float (float). Boxed types must match the kernel's C signature exactly.
     */
    void launch(String kernel, int gridX, int gridY, int gridZ, int block, Object... args) {
        long hostStart = profiler == null ? 0 : System.nanoTime();
        if (gridX <= 0 || gridY <= 0 || gridZ <= 0) {
            return; // an empty grid is a no-op (CUDA would reject it)
        }
        if (gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException(kernel + ": grid y/z " + gridY + "/" + gridZ + " exceeds 65535");
        }
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                params[i] = Pointer.to(new CUdeviceptr());
            } else if (a instanceof CUdeviceptr p) {
                params[i] = Pointer.to(p);
            } else if (a instanceof Integer v) {
                params[i] = Pointer.to(new int[] {v});
            } else if (a instanceof Long v) {
                params[i] = Pointer.to(new long[] {v});
            } else if (a instanceof Float v) {
                params[i] = Pointer.to(new float[] {v});
            } else {
                throw new IllegalArgumentException(kernel + ": unsupported argument type " + a.getClass());
            }
        }
        CUfunction f = function(kernel);
        runtime.makeCurrent();
        if (profiler == null) {
            cuLaunchKernel(f, gridX, gridY, gridZ, block, 1, 1, 0, runtime.stream(), Pointer.to(params), null);
        } else {
            CUevent start = eventTimer.start(runtime.stream());
            cuLaunchKernel(f, gridX, gridY, gridZ, block, 1, 1, 0, runtime.stream(), Pointer.to(params), null);
            eventTimer.end(kernel, start, runtime.stream());
            profiler.add("host launch", System.nanoTime() - hostStart, 0);
        }
        synchronized (this) {
            launches++;
        }
    }

    /** Times every launch from now on: GPU time by CUDA events, host time of the launch call itself. */
    void profileWith(CudaProfiler p) {
        eventTimer = new KernelEventTimer(p);
        p.beforeRead(eventTimer::flush);
        profiler = p;
    }

    synchronized long launches() {
        return launches;
    }
}
