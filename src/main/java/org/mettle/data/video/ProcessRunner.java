package org.mettle.data.video;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program with a wall-clock limit: stdin closed, stdout collected up to a byte limit, stderr
 * kept (its last 16 KiB) for error messages. On timeout or overflow the process and its children are killed.
 */
final class ProcessRunner {
    static final int STDERR_KEEP = 16 * 1024;

    private ProcessRunner() {}

    record Result(int exitCode, byte[] stdout, String stderr) {}

    static final class ProcessFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProcessFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static Result run(List<String> command, Duration timeout, long maxStdoutBytes) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new ProcessFailure("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // the program does not read stdin; a failed close changes nothing
        }
        Collector out = new Collector(p.getInputStream(), maxStdoutBytes, false);
        Collector err = new Collector(p.getErrorStream(), STDERR_KEEP, true);
        Thread to = new Thread(out, "process-stdout");
        Thread te = new Thread(err, "process-stderr");
        to.setDaemon(true);
        te.setDaemon(true);
        to.start();
        te.start();
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            while (finished && !out.overflow && to.isAlive()) {
                to.join(100); // drain what the process wrote before exiting
            }
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new ProcessFailure(command.get(0) + " was interrupted", e);
        }
        if (!finished || out.overflow) {
            kill(p);
            joinQuietly(to);
            joinQuietly(te);
            if (out.overflow) {
                throw new ProcessFailure(command.get(0) + " wrote more than " + maxStdoutBytes + " bytes; the input is too long", null);
            }
            throw new ProcessFailure(command.get(0) + " did not finish within " + timeout.toSeconds() + " s and was stopped"
                    + tail(err.text()), null);
        }
        joinQuietly(to);
        joinQuietly(te);
        if (out.error != null) {
            throw new ProcessFailure("cannot read the output of " + command.get(0) + ": " + out.error.getMessage(), out.error);
        }
        return new Result(p.exitValue(), out.bytes(), err.text());
    }

    private static String tail(String stderr) {
        return stderr.isBlank() ? "" : "; its last messages: " + stderr.strip();
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads a stream to its end; keeps the first limit bytes (or, as a tail, the last limit bytes). */
    private static final class Collector implements Runnable {
        private final InputStream in;
        private final long limit;
        private final boolean keepTail;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private volatile boolean overflow;
        private volatile IOException error;

        Collector(InputStream in, long limit, boolean keepTail) {
            this.in = in;
            this.limit = limit;
            this.keepTail = keepTail;
        }

        @Override
        public void run() {
            byte[] chunk = new byte[64 * 1024];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    synchronized (this) {
                        if (buf.size() + (long) n > limit) {
                            if (!keepTail) {
                                overflow = true;
                                return;
                            }
                            byte[] all = buf.toByteArray();
                            buf.reset();
                            int keep = (int) Math.max(0, limit - n);
                            buf.write(all, Math.max(0, all.length - keep), Math.min(keep, all.length));
                        }
                        buf.write(chunk, 0, (int) Math.min(n, limit));
                    }
                }
            } catch (IOException e) {
                if (!keepTail) {
                    error = e;
                }
            }
        }

        synchronized byte[] bytes() {
            return buf.toByteArray();
        }

        synchronized String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
