package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuStreamCreate;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Detects, once per process, whether CUDA is usable (DESIGN §3): JCuda's native library loads (a missing
 * libcuda.so.1 shows up as a {@link LinkageError}, caught here once), cuInit succeeds, a device exists, the driver
 * can JIT our PTX (ISA 8.0 needs a CUDA 12.0+ driver), the device is sm_80 or newer, and the PTX for it is on the
 * classpath. {@link #status()} says in one line why CUDA is or is not used. When usable, device 0's primary context
 * and one stream are created here and shared by every CUDA object.
 */
public final class CudaRuntime {
    /** PTX ISA 8.0 (the header native/build-ptx.sh writes) needs a driver for CUDA 12.0 or newer. */
    public static final int MIN_DRIVER_VERSION = 12000;
    static final String KERNEL_INDEX = "org/mettle/kernels/kernels.index";
    static final String KERNEL_DIR = "org/mettle/kernels/";

    private static volatile CudaRuntime instance;
    private static volatile String failure;

    private final CUdevice device;
    private final CUcontext context;
    private final CUstream stream;
    private final String name;
    private final int ccMajor;
    private final int ccMinor;
    private final int multiprocessors;
    private final int driverVersion;
    private final long totalMemory;
    private final List<String> ptxFiles;
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private CudaRuntime(CUdevice device, CUcontext context, CUstream stream, String name, int ccMajor, int ccMinor,
                        int multiprocessors, int driverVersion, long totalMemory, List<String> ptxFiles) {
        this.device = device;
        this.context = context;
        this.stream = stream;
        this.name = name;
        this.ccMajor = ccMajor;
        this.ccMinor = ccMinor;
        this.multiprocessors = multiprocessors;
        this.driverVersion = driverVersion;
        this.totalMemory = totalMemory;
        this.ptxFiles = ptxFiles;
        current.set(Boolean.TRUE);
    }

    /** True when CUDA can be used; {@link #status()} says why not otherwise. */
    public static boolean isUsable() {
        probe();
        return instance != null;
    }

    /** One line: the device in use, or why CUDA is not used. */
    public static String status() {
        probe();
        CudaRuntime r = instance;
        if (r != null) {
            return "usable: " + r.describe();
        }
        return "not available: " + failure;
    }

    /** The runtime, or an exception carrying the one-line reason CUDA is not usable. */
    public static CudaRuntime get() {
        probe();
        CudaRuntime r = instance;
        if (r == null) {
            throw new IllegalStateException("CUDA is not available: " + failure);
        }
        r.makeCurrent();
        return r;
    }

    private static void probe() {
        if (instance != null || failure != null) {
            return;
        }
        synchronized (CudaRuntime.class) {
            if (instance != null || failure != null) {
                return;
            }
            try {
                instance = detect();
            } catch (LinkageError e) {
                failure = "the JCuda native library did not load (no NVIDIA driver / libcuda.so.1 on this machine?): "
                        + oneLine(e);
            } catch (DetectionFailure e) {
                failure = e.getMessage();
            } catch (RuntimeException e) {
                failure = "CUDA initialisation failed: " + oneLine(e);
            }
        }
    }

    private static CudaRuntime detect() {
        if (Boolean.getBoolean("mettle.cuda.disable")) {
            throw new DetectionFailure("disabled by -Dmettle.cuda.disable=true");
        }
        JCudaDriver.setExceptionsEnabled(true);
        try {
            cuInit(0);
        } catch (RuntimeException e) {
            throw new DetectionFailure("cuInit failed (" + oneLine(e) + "): no usable NVIDIA driver or GPU");
        }
        int[] count = {0};
        cuDeviceGetCount(count);
        if (count[0] < 1) {
            throw new DetectionFailure("the NVIDIA driver reports no CUDA device");
        }
        int[] version = {0};
        cuDriverGetVersion(version);
        if (version[0] < MIN_DRIVER_VERSION) {
            throw new DetectionFailure("the NVIDIA driver supports CUDA " + versionString(version[0])
                    + " but the kernels' PTX (ISA 8.0) needs CUDA 12.0 or newer: update the driver (R525+)");
        }
        CUdevice dev = new CUdevice();
        cuDeviceGet(dev, 0);
        int major = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        byte[] nameBytes = new byte[256];
        cuDeviceGetName(nameBytes, nameBytes.length, dev);
        String devName = cString(nameBytes);
        if (major < 8) {
            throw new DetectionFailure(devName + " has compute capability " + major + "." + minor
                    + " but the kernels need 8.0 or newer (bf16 mma.sync, cp.async)");
        }
        List<String> ptx = readKernelIndex();
        if (ptx.isEmpty()) {
            throw new DetectionFailure("the CUDA kernels are missing from the classpath (" + KERNEL_INDEX
                    + "): this build had no nvcc; rebuild with nvcc on PATH (native/build-ptx.sh)");
        }
        String suffix = major >= 9 ? ".sm90.ptx" : ".sm80.ptx";
        List<String> mine = new ArrayList<>();
        for (String f : ptx) {
            if (f.endsWith(suffix)) {
                mine.add(f);
            }
        }
        if (mine.isEmpty()) {
            throw new DetectionFailure("no " + suffix + " kernels in " + KERNEL_INDEX + " for " + devName);
        }
        int sms = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] total = {0};
        cuDeviceTotalMem(total, dev);
        CUcontext ctx = new CUcontext();
        cuDevicePrimaryCtxRetain(ctx, dev);
        cuCtxSetCurrent(ctx);
        CUstream stream = new CUstream();
        cuStreamCreate(stream, 0); // blocking w.r.t. the legacy stream, so synchronous copies order after kernels
        return new CudaRuntime(dev, ctx, stream, devName, major, minor, sms, version[0], total[0], mine);
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] v = {0};
        cuDeviceGetAttribute(v, attribute, dev);
        return v[0];
    }

    static List<String> readKernelIndex() {
        List<String> names = new ArrayList<>();
        try (InputStream in = CudaRuntime.class.getClassLoader().getResourceAsStream(KERNEL_INDEX)) {
            if (in == null) {
                return names;
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    names.add(line.trim());
                }
            }
        } catch (IOException e) {
            throw new DetectionFailure("cannot read " + KERNEL_INDEX + ": " + e.getMessage());
        }
        return names;
    }

    /** Makes the shared context current on the calling thread (CUDA contexts are per thread). */
    void makeCurrent() {
        if (!current.get()) {
            cuCtxSetCurrent(context);
            current.set(Boolean.TRUE);
        }
    }

    public String describe() {
        return name + " (sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs, "
                + (totalMemory >> 20) + " MiB, driver CUDA " + versionString(driverVersion) + ", "
                + (ccMajor >= 9 ? "sm90" : "sm80") + " PTX)";
    }

    public String name() {
        return name;
    }

    public int computeCapabilityMajor() {
        return ccMajor;
    }

    public int computeCapabilityMinor() {
        return ccMinor;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    public int driverVersion() {
        return driverVersion;
    }

    public long totalMemory() {
        return totalMemory;
    }

    List<String> ptxFiles() {
        return ptxFiles;
    }

    CUstream stream() {
        return stream;
    }

    CUdevice device() {
        return device;
    }

    static String versionString(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    private static String oneLine(Throwable e) {
        String m = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl) : m;
    }

    /** A detection step that failed with a reason for the user. */
    private static final class DetectionFailure extends RuntimeException {
        DetectionFailure(String message) {
            super(message);
        }
    }
}
