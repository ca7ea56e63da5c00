package org.mettle.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Reduces a strided copy to at most 4 dims whose destination is dense (so one ew_binary launch can do it): drops size-1
 * dims, orders dims by destination stride and merges dims that are contiguous in both source and destination.
 * {@link #of} returns null when the destination is not dense in any order or more than 4 dims remain.
 */
record StridedPlan(int[] dims, int[] srcStrides, long numel) {
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
        if (merged.size() > 4) {
            return null;
        }
        int[] outDims = new int[4];
        int[] outSrc = new int[4];
        int pad = 4 - merged.size();
        for (int i = 0; i < 4; i++) {
            outDims[i] = i < pad ? 1 : merged.get(i - pad)[0];
            outSrc[i] = i < pad ? 0 : merged.get(i - pad)[1];
        }
        return new StridedPlan(outDims, outSrc, n);
    }
}
