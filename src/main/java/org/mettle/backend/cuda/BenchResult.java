package org.mettle.backend.cuda;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * One kernel benchmark: median and minimum time, work done (flops, bytes moved) and the device's peaks, so that
 * compute-bound kernels read as TFLOP/s and % of the fp32 peak, memory-bound ones as GB/s and % of bandwidth.
 * Peaks are 0 (not reported) on the CPU. {@code extra} holds further JSON fields (e.g. cuBLAS's time).
 */
public record BenchResult(String bench, String device, String deviceName, String shape, String dtype, double ms, double minMs,
                          double flops, double bytes, double peakTflops, double peakGBps, Map<String, Object> extra) {
    public BenchResult {
        extra = new LinkedHashMap<>(extra);
    }

    public double tflops() {
        return flops / (ms * 1e-3) / 1e12;
    }

    public double gbps() {
        return bytes / (ms * 1e-3) / 1e9;
    }

    /** A copy with one more JSON field (String, Number or Boolean). */
    public BenchResult with(String key, Object value) {
        Map<String, Object> e = new LinkedHashMap<>(extra);
        e.put(key, value);
        return new BenchResult(bench, device, deviceName, shape, dtype, ms, minMs, flops, bytes, peakTflops, peakGBps, e);
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
    }

    private static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "null";
    }

    public String toJson() {
        StringBuilder b = new StringBuilder("{");
        b.append("\"bench\":").append(quote(bench)).append(",\"device\":").append(quote(device));
        b.append(",\"gpu\":").append(quote(deviceName)).append(",\"shape\":").append(quote(shape));
        b.append(",\"dtype\":").append(quote(dtype)).append(",\"ms\":").append(num(ms, 4)).append(",\"minMs\":").append(num(minMs, 4));
        b.append(",\"tflops\":").append(num(tflops(), 4));
        if (bytes > 0) {
            b.append(",\"gbps\":").append(num(gbps(), 1));
        }
        if (peakTflops > 0) {
            b.append(",\"peakFp32Tflops\":").append(num(peakTflops, 1)).append(",\"percentOfFp32Peak\":").append(num(100 * tflops() / peakTflops, 1));
        }
        if (peakGBps > 0 && bytes > 0) {
            b.append(",\"peakGBps\":").append(num(peakGBps, 0)).append(",\"percentOfBandwidthPeak\":").append(num(100 * gbps() / peakGBps, 1));
        }
        extra.forEach((k, v) -> b.append(',').append(quote(k)).append(':')
                .append(v instanceof Integer || v instanceof Long || v instanceof Boolean ? v.toString()
                        : v instanceof Number n ? num(n.doubleValue(), 4) : quote(String.valueOf(v))));
        return b.append('}').toString();
    }

    public String describe() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s %s %s %s (%s): %.4f ms median (min %.4f), %.3f TFLOP/s",
                bench, shape, dtype, device, deviceName, ms, minMs, tflops()));
        if (peakTflops > 0) {
            b.append(String.format(Locale.ROOT, " (%.1f%% of fp32 peak ~%.1f)", 100 * tflops() / peakTflops, peakTflops));
        }
        if (bytes > 0) {
            b.append(String.format(Locale.ROOT, ", %.1f GB/s", gbps()));
            if (peakGBps > 0) {
                b.append(String.format(Locale.ROOT, " (%.1f%% of ~%.0f GB/s)", 100 * gbps() / peakGBps, peakGBps));
            }
        }
        extra.forEach((k, v) -> b.append(", ").append(k).append(' ').append(v));
        return b.toString();
    }

    /** FP32 CUDA-core peak estimate: SMs x 128 lanes x 2 flops x boost clock. */
    static double fp32PeakTflops(CudaRuntime rt) {
        return rt.multiprocessors() * 128.0 * 2 * attribute(rt, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE) * 1e3 / 1e12;
    }

    /** DRAM bandwidth peak estimate: 2 transfers per memory clock x bus width. */
    static double peakGBps(CudaRuntime rt) {
        double clockHz = attribute(rt, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE) * 1e3;
        double busBytes = attribute(rt, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH) / 8.0;
        return 2 * clockHz * busBytes / 1e9;
    }

    private static int attribute(CudaRuntime rt, int attribute) {
        int[] v = {0};
        JCudaDriver.cuDeviceGetAttribute(v, attribute, rt.device());
        return v[0];
    }
}
