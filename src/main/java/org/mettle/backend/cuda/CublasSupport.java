package org.mettle.backend.cuda;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;

/**
 * Optional cuBLAS through JCublas (issue 6): only a reference for the GEMM benchmark, never needed by the backend.
 * JCuda 12.6's JCublas natives link libcublas.so.12; where that (or the driver) is missing the probe catches the
 * {@link LinkageError} once and {@link #status()} says why in one line.
 */
public final class CublasSupport {
    private static final Pattern MISSING_LIBRARY = Pattern.compile("([\\w.+-]+\\.so[\\w.]*): cannot open shared object file");
    private static String libraryFailure;
    private static boolean libraryProbed;
    private static cublasHandle handle;
    private static String handleFailure;
    private static int version;

    private CublasSupport() {}

    /** One line: "usable: cuBLAS x.y.z" or "not available: why". */
    public static String status() {
        String lib = libraryProblem();
        if (lib != null) {
            return "not available: " + lib;
        }
        if (!CudaRuntime.isUsable()) {
            return "not available: JCublas loaded but CUDA is not usable (" + CudaRuntime.status() + ")";
        }
        try {
            handle(CudaRuntime.get());
        } catch (IllegalStateException e) {
            return "not available: " + e.getMessage();
        }
        return "usable: cuBLAS " + (version / 10000) + "." + (version / 100 % 100) + "." + (version % 100) + " (JCublas 12.6.0)";
    }

    public static boolean isUsable() {
        return status().startsWith("usable: ");
    }

    /** Loads JCublas's native library once; null when it loaded, else the one-line reason. */
    static synchronized String libraryProblem() {
        if (!libraryProbed) {
            libraryProbed = true;
            try {
                JCublas2.setExceptionsEnabled(true); // runs the class initialiser, which loads the natives
            } catch (LinkageError e) {
                libraryFailure = reason(e);
            }
        }
        return libraryFailure;
    }

    /** The reason in one line: the missing shared library when the loader names one, else the first message line. */
    static String reason(Throwable e) {
        String message = String.valueOf(e.getMessage());
        Matcher m = MISSING_LIBRARY.matcher(message);
        String missing = null;
        while (m.find()) {
            missing = m.group(1); // the last one is the dependency the loader could not find
        }
        if (missing != null && !missing.startsWith("libJCublas")) {
            return "JCublas's native library needs " + missing + ", which is not installed here (JCuda 12.6 links cuBLAS 12); "
                    + "the hand-written kernels do not need it";
        }
        int nl = message.indexOf('\n');
        return "JCublas's native library did not load: " + e.getClass().getSimpleName() + ": "
                + (nl >= 0 ? message.substring(0, nl) : message);
    }

    /** The process's cuBLAS handle on the runtime's stream (created once); throws with the reason when it cannot be. */
    static synchronized cublasHandle handle(CudaRuntime runtime) {
        String lib = libraryProblem();
        if (lib != null) {
            throw new IllegalStateException(lib);
        }
        if (handleFailure != null) {
            throw new IllegalStateException(handleFailure);
        }
        if (handle == null) {
            try {
                runtime.makeCurrent();
                cublasHandle h = new cublasHandle();
                JCublas2.cublasCreate(h);
                JCublas2.cublasSetStream(h, new cudaStream_t(runtime.stream()));
                int[] v = {0};
                JCublas2.cublasGetVersion(h, v);
                version = v[0];
                handle = h;
            } catch (RuntimeException | LinkageError e) {
                handleFailure = "cublasCreate failed: " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\n")[0];
                throw new IllegalStateException(handleFailure, e);
            }
        }
        return handle;
    }
}
