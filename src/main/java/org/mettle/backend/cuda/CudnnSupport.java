package org.mettle.backend.cuda;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.jcudnn.JCudnn;

/**
 * Optional cuDNN through JCudnn (issue 6): no kernel of the backend needs it; {@code info} reports whether it would
 * load. JCudnn's Java API on Maven Central stops at 11.7.0; it loads the native library of the JCuda core's version
 * (12.6.0), which links libcudnn.so.9. Where that (or the driver) is missing the probe catches the
 * {@link LinkageError} once and {@link #status()} says why in one line.
 */
public final class CudnnSupport {
    private static final Pattern MISSING_LIBRARY = Pattern.compile("([\\w.+-]+\\.so[\\w.]*): cannot open shared object file");
    private static String status;

    private CudnnSupport() {}

    /** One line: "usable: cuDNN x.y.z" or "not available: why". */
    public static synchronized String status() {
        if (status == null) {
            status = probe();
        }
        return status;
    }

    public static boolean isUsable() {
        return status().startsWith("usable: ");
    }

    private static String probe() {
        long version;
        try {
            version = JCudnn.cudnnGetVersion(); // runs the class initialiser, which loads the natives
        } catch (LinkageError e) {
            return "not available: " + reason(e);
        } catch (RuntimeException e) {
            return "not available: JCudnn loaded but cudnnGetVersion failed: " + e.getMessage();
        }
        // cuDNN 9 encodes major * 10000 + minor * 100 + patch; cuDNN 8 major * 1000 + minor * 100 + patch
        long major = version >= 90000 ? version / 10000 : version / 1000;
        long minor = version >= 90000 ? version / 100 % 100 : version / 100 % 10;
        return "usable: cuDNN " + major + "." + minor + "." + (version % 100) + " (JCudnn 11.7.0 API, 12.6.0 natives)";
    }

    /** The reason in one line: the missing shared library when the loader names one, else the first message line. */
    static String reason(Throwable e) {
        String message = String.valueOf(e.getMessage());
        Matcher m = MISSING_LIBRARY.matcher(message);
        String missing = null;
        while (m.find()) {
            missing = m.group(1); // the last one is the dependency the loader could not find
        }
        if (missing != null && !missing.startsWith("libJCudnn")) {
            return "JCudnn's native library needs " + missing + ", which is not installed here (JCudnn 12.6 natives link cuDNN 9);"
                    + " the hand-written kernels do not need it";
        }
        int nl = message.indexOf('\n');
        return "JCudnn's native library did not load: " + e.getClass().getSimpleName() + ": " + (nl >= 0 ? message.substring(0, nl) : message);
    }
}
