package org.mettle.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

/**
 * GPU time of each kernel launch from a pair of CUDA events around it, read back in batches: the stream is not
 * synchronized per launch (only once every {@link #BATCH} launches and when the profile is read), so the run keeps
 * its normal pace and the host's own launch cost can be measured next to the GPU's time.
 */
final class KernelEventTimer {
    static final int BATCH = 8192;

    private record Pending(String name, CUevent start, CUevent end) {}

    private final ArrayDeque<CUevent> pool = new ArrayDeque<>();
    private final List<Pending> pending = new ArrayList<>();
    private final CudaProfiler profiler;

    KernelEventTimer(CudaProfiler profiler) {
        this.profiler = profiler;
    }

    synchronized CUevent start(CUstream stream) {
        CUevent e = take();
        cuEventRecord(e, stream);
        return e;
    }

    synchronized void end(String name, CUevent start, CUstream stream) {
        CUevent e = take();
        cuEventRecord(e, stream);
        pending.add(new Pending(name, start, e));
        if (pending.size() >= BATCH) {
            flush();
        }
    }

    /** Waits for the last recorded launch and adds every pending launch's GPU time to the profile. */
    synchronized void flush() {
        if (pending.isEmpty()) {
            return;
        }
        cuEventSynchronize(pending.get(pending.size() - 1).end());
        float[] ms = {0f};
        for (Pending p : pending) {
            cuEventElapsedTime(ms, p.start(), p.end());
            profiler.add("kernel " + p.name(), (long) (ms[0] * 1e6), 0);
            pool.add(p.start());
            pool.add(p.end());
        }
        pending.clear();
    }

    private CUevent take() {
        CUevent e = pool.poll();
        if (e == null) {
            e = new CUevent();
            cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
        }
        return e;
    }
}
