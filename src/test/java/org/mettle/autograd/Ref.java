package org.mettle.autograd;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * A naive double-precision n-d array with the reference semantics of every engine op (the "naive reference"
 * of the op checks). Written for clarity, not speed.
 */
final class Ref {
    final int[] dims;
    final double[] v;

    Ref(int[] dims, double[] v) {
        this.dims = dims.clone();
        this.v = v;
        if (size(dims) != v.length) {
            throw new IllegalArgumentException(Arrays.toString(dims) + " vs " + v.length);
        }
    }

    static Ref zeros(int... dims) {
        return new Ref(dims, new double[size(dims)]);
    }

    static int size(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    Ref copy() {
        return new Ref(dims, v.clone());
    }

    int rank() {
        return dims.length;
    }

    int dim(int i) {
        return dims[i < 0 ? i + dims.length : i];
    }

    static int[] strides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** Multi-index of flat index i. */
    static int[] unravel(int i, int[] dims) {
        int[] idx = new int[dims.length];
        for (int d = dims.length - 1; d >= 0; d--) {
            idx[d] = dims[d] == 0 ? 0 : i % dims[d];
            i = dims[d] == 0 ? 0 : i / dims[d];
        }
        return idx;
    }

    /** Flat index of this array's element broadcast to an index of a higher-rank shape. */
    int broadcastIndex(int[] outIdx) {
        int lead = outIdx.length - dims.length;
        int[] s = strides(dims);
        int f = 0;
        for (int d = 0; d < dims.length; d++) {
            f += (dims[d] == 1 ? 0 : outIdx[d + lead]) * s[d];
        }
        return f;
    }

    static int[] broadcastDims(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            out[i] = Math.max(da, db);
        }
        return out;
    }

    interface Binary {
        double apply(double a, double b);
    }

    static Ref zip(Ref a, Ref b, Binary f) {
        int[] od = broadcastDims(a.dims, b.dims);
        Ref out = zeros(od);
        for (int i = 0; i < out.v.length; i++) {
            int[] idx = unravel(i, od);
            out.v[i] = f.apply(a.v[a.broadcastIndex(idx)], b.v[b.broadcastIndex(idx)]);
        }
        return out;
    }

    Ref map(DoubleUnaryOperator f) {
        Ref out = copy();
        for (int i = 0; i < v.length; i++) {
            out.v[i] = f.applyAsDouble(v[i]);
        }
        return out;
    }

    static double erf(double x) {
        return org.apache.commons.math3.special.Erf.erf(x);
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    static Ref matMul(Ref a, Ref b) {
        int m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        int[] ab = Arrays.copyOf(a.dims, a.rank() - 2);
        int[] bb = Arrays.copyOf(b.dims, b.rank() - 2);
        int[] batchDims = size(ab) >= size(bb) ? ab : bb;
        int batch = size(batchDims);
        int[] od = Arrays.copyOf(batchDims, batchDims.length + 2);
        od[batchDims.length] = m;
        od[batchDims.length + 1] = n;
        Ref out = zeros(od);
        for (int t = 0; t < batch; t++) {
            int ao = size(ab) == 1 ? 0 : t * m * k;
            int bo = size(bb) == 1 ? 0 : t * k * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += a.v[ao + i * k + p] * b.v[bo + p * n + j];
                    }
                    out.v[t * m * n + i * n + j] = s;
                }
            }
        }
        return out;
    }

    /** x [..., in] w [out, in] b [out]. */
    static Ref linear(Ref x, Ref w, Ref b) {
        int in = x.dim(-1), outF = w.dim(0), rows = x.v.length / in;
        int[] od = x.dims.clone();
        od[od.length - 1] = outF;
        Ref out = zeros(od);
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < outF; o++) {
                double s = b == null ? 0 : b.v[o];
                for (int i = 0; i < in; i++) {
                    s += x.v[r * in + i] * w.v[o * in + i];
                }
                out.v[r * outF + o] = s;
            }
        }
        return out;
    }

    /** Sum over the given axes, keeping them as size 1 when keep. */
    Ref sum(boolean keep, int... axes) {
        boolean[] red = new boolean[rank()];
        for (int a : axes) {
            red[a < 0 ? a + rank() : a] = true;
        }
        int[] kd = dims.clone();
        for (int i = 0; i < kd.length; i++) {
            if (red[i]) {
                kd[i] = 1;
            }
        }
        Ref out = zeros(kd);
        for (int i = 0; i < v.length; i++) {
            int[] idx = unravel(i, dims);
            out.v[out.broadcastIndex(idx)] += v[i];
        }
        if (keep) {
            return out;
        }
        int[] nd = new int[kd.length];
        int n = 0;
        for (int i = 0; i < kd.length; i++) {
            if (!red[i]) {
                nd[n++] = kd[i];
            }
        }
        return new Ref(Arrays.copyOf(nd, n), out.v);
    }

    double total() {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    Ref rowwise(java.util.function.Function<double[], double[]> f) {
        int c = dim(-1);
        Ref out = copy();
        for (int r = 0; r < v.length / c; r++) {
            double[] row = Arrays.copyOfRange(v, r * c, r * c + c);
            System.arraycopy(f.apply(row), 0, out.v, r * c, c);
        }
        return out;
    }

    static double[] softmaxRow(double[] x) {
        double m = Arrays.stream(x).max().orElse(0);
        double s = 0;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.exp(x[i] - m);
            s += y[i];
        }
        for (int i = 0; i < x.length; i++) {
            y[i] /= s;
        }
        return y;
    }

    static double[] logSoftmaxRow(double[] x) {
        double m = Arrays.stream(x).max().orElse(0);
        double s = 0;
        for (double xi : x) {
            s += Math.exp(xi - m);
        }
        double lse = m + Math.log(s);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] - lse;
        }
        return y;
    }

    Ref layerNorm(Ref gamma, Ref beta, double eps) {
        return rowwise(row -> {
            double mean = Arrays.stream(row).average().orElse(0);
            double var = 0;
            for (double x : row) {
                var += (x - mean) * (x - mean);
            }
            var /= row.length;
            double rstd = 1 / Math.sqrt(var + eps);
            double[] y = new double[row.length];
            for (int i = 0; i < row.length; i++) {
                y[i] = (row[i] - mean) * rstd * (gamma == null ? 1 : gamma.v[i]) + (beta == null ? 0 : beta.v[i]);
            }
            return y;
        });
    }

    Ref l2Normalize(double eps) {
        return rowwise(row -> {
            double n = 0;
            for (double x : row) {
                n += x * x;
            }
            double d = Math.max(Math.sqrt(n), eps);
            double[] y = new double[row.length];
            for (int i = 0; i < row.length; i++) {
                y[i] = row[i] / d;
            }
            return y;
        });
    }

    Ref permute(int... axes) {
        int[] od = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            od[i] = dims[axes[i]];
        }
        Ref out = zeros(od);
        int[] s = strides(dims);
        for (int i = 0; i < out.v.length; i++) {
            int[] idx = unravel(i, od);
            int f = 0;
            for (int d = 0; d < axes.length; d++) {
                f += idx[d] * s[axes[d]];
            }
            out.v[i] = v[f];
        }
        return out;
    }

    Ref slice(int axis, int start, int end) {
        int[] od = dims.clone();
        od[axis] = end - start;
        Ref out = zeros(od);
        int[] s = strides(dims);
        for (int i = 0; i < out.v.length; i++) {
            int[] idx = unravel(i, od);
            idx[axis] += start;
            int f = 0;
            for (int d = 0; d < idx.length; d++) {
                f += idx[d] * s[d];
            }
            out.v[i] = v[f];
        }
        return out;
    }

    static Ref cat(int axis, Ref... parts) {
        int[] od = parts[0].dims.clone();
        od[axis] = 0;
        for (Ref p : parts) {
            od[axis] += p.dims[axis];
        }
        Ref out = zeros(od);
        int[] os = strides(od);
        int at = 0;
        for (Ref p : parts) {
            for (int i = 0; i < p.v.length; i++) {
                int[] idx = unravel(i, p.dims);
                idx[axis] += at;
                int f = 0;
                for (int d = 0; d < idx.length; d++) {
                    f += idx[d] * os[d];
                }
                out.v[f] = p.v[i];
            }
            at += p.dims[axis];
        }
        return out;
    }

    Ref expand(int... od) {
        Ref out = zeros(od);
        for (int i = 0; i < out.v.length; i++) {
            out.v[i] = v[broadcastIndex(unravel(i, od))];
        }
        return out;
    }

    /** softmax(q k^T * scale + bias + mask) v over [B, H, N, D]; bias/mask [Bb, Hb, Nq, Nk] by b % Bb. */
    static Ref attention(Ref q, Ref k, Ref v, Ref bias, Ref mask, double scale) {
        int b = q.dims[0], h = q.dims[1], nq = q.dims[2], d = q.dims[3], nk = k.dims[2];
        Ref out = zeros(q.dims);
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                for (int i = 0; i < nq; i++) {
                    double[] logits = new double[nk];
                    for (int j = 0; j < nk; j++) {
                        double s = 0;
                        for (int t = 0; t < d; t++) {
                            s += q.v[((bi * h + hi) * nq + i) * d + t] * k.v[((bi * h + hi) * nk + j) * d + t];
                        }
                        logits[j] = s * scale + biasAt(bias, bi, hi, i, j, nq, nk) + biasAt(mask, bi, hi, i, j, nq, nk);
                    }
                    double[] p = softmaxRow(logits);
                    for (int t = 0; t < d; t++) {
                        double s = 0;
                        for (int j = 0; j < nk; j++) {
                            s += p[j] * v.v[((bi * h + hi) * nk + j) * d + t];
                        }
                        out.v[((bi * h + hi) * nq + i) * d + t] = s;
                    }
                }
            }
        }
        return out;
    }

    private static double biasAt(Ref bias, int b, int h, int i, int j, int nq, int nk) {
        if (bias == null) {
            return 0;
        }
        int bb = b % bias.dims[0];
        int hh = bias.dims[1] == 1 ? 0 : h;
        return bias.v[((bb * bias.dims[1] + hh) * nq + i) * nk + j];
    }
}
