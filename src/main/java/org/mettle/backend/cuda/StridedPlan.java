package org.mettle.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Reduces a strided copy to dims whose destination is dense (so ew_binary launches can do it): drops size-1 dims,
 * orders dims by destination stride and merges dims that are contiguous in both source and destination. The last 4
 * dims are one launch; {@code outer} dims (with their source strides) before them are looped over on the host.
 * {@link #of} returns null when the destination is not dense in any order.
 */
record StridedPlan(int[] dims, int[] srcStrides, long numel, int[] outerDims, int[] outerSrcStrides) {
    StridedPlan(int[] dims, int[] srcStrides, long numel) {
        this(dims, srcStrides, numel, new int[0], new int[0]);
    }

    /** Elements per launch (the 4 inner dims). */
    long inner() {
        return (long) dims[0] * dims[1] * dims[2] * dims[3];
    }

    /** Calls {@code launch} with the source and destination element offsets (relative) of each launch. */
    void forEachLaunch(java.util.function.BiConsumer<Long, Long> launch) {
        int[] index = new int[outerDims.length];
        long inner = inner();
        for (long l = 0, n = launches(); l < n; l++) {
            long src = 0;
            for (int i = 0; i < index.length; i++) {
                src += (long) index[i] * outerSrcStrides[i];
            }
            launch.accept(src, l * inner);
            for (int i = index.length - 1; i >= 0 && ++index[i] == outerDims[i]; i--) {
                index[i] = 0;
            }
        }
    }

    /** Product of the looped outer dims (1 when one launch does it all). */
    long launches() {
        long n = 1;
        for (int d : outerDims) {
            n *= d;
        }
        return n;
    }

    static StridedPlan of(int[] dims, int[] srcStrides, int[] dstStrides) {
        List<int[]> ds = new ArrayList<>(); // {size, src stride, dst stride}
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            n *= dims[i];
            if (dims[i] != 1) {
                ds.add(new int[] {dims[i], srcStrides[i], dstStrides[i]});
            }
        }
        if (n == 0) {
            return new StridedPlan(new int[0], new int[0], 0);
        }
        ds.sort((x, y) -> Integer.compare(y[2], x[2]));
        List<int[]> merged = new ArrayList<>();
        for (int[] d : ds) {
            if (!merged.isEmpty()) {
                int[] last = merged.get(merged.size() - 1);
                if (last[2] == (long) d[2] * d[0] && last[1] == (long) d[1] * d[0]) {
                    long size = (long) last[0] * d[0];
                    if (size <= Integer.MAX_VALUE) {
                        merged.set(merged.size() - 1, new int[] {(int) size, d[1], d[2]});
                        continue;
                    }
                }
            }
            merged.add(d);
        }
        long expect = 1;
        for (int i = merged.size() - 1; i >= 0; i--) {
            if (merged.get(i)[2] != expect) {
                return null;
            }
            expect *= merged.get(i)[0];
        }
        int outer = Math.max(0, merged.size() - 4);
        int[] outerDims = new int[outer];
        int[] outerSrc = new int[outer];
        for (int i = 0; i < outer; i++) {
            outerDims[i] = merged.get(i)[0];
            outerSrc[i] = merged.get(i)[1];
        }
        List<int[]> inner = merged.subList(outer, merged.size());
        int[] outDims = new int[4];
        int[] outSrc = new int[4];
        int pad = 4 - inner.size();
        for (int i = 0; i < 4; i++) {
            outDims[i] = i < pad ? 1 : inner.get(i - pad)[0];
            outSrc[i] = i < pad ? 0 : inner.get(i - pad)[1];
        }
        return new StridedPlan(outDims, outSrc, n, outerDims, outerSrc);
    }
}
