package org.mettle.autograd;

/** Double-precision references of the spatial ops and losses (NCHW, PyTorch semantics). */
final class RefNn {
    private RefNn() {}

    static Ref conv2d(Ref x, Ref w, Ref b, int stride, int pad) {
        int n = x.dims[0], c = x.dims[1], h = x.dims[2], wd = x.dims[3];
        int o = w.dims[0], kh = w.dims[2], kw = w.dims[3];
        int oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1;
        Ref y = Ref.zeros(n, o, oh, ow);
        for (int ni = 0; ni < n; ni++) {
            for (int oi = 0; oi < o; oi++) {
                for (int yi = 0; yi < oh; yi++) {
                    for (int xi = 0; xi < ow; xi++) {
                        double s = b == null ? 0 : b.v[oi];
                        for (int ci = 0; ci < c; ci++) {
                            for (int ky = 0; ky < kh; ky++) {
                                for (int kx = 0; kx < kw; kx++) {
                                    int iy = yi * stride - pad + ky, ix = xi * stride - pad + kx;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                        s += x.v[((ni * c + ci) * h + iy) * wd + ix] * w.v[((oi * c + ci) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                        y.v[((ni * o + oi) * oh + yi) * ow + xi] = s;
                    }
                }
            }
        }
        return y;
    }

    private static double source(int dst, int inSize, int outSize, boolean align) {
        if (align) {
            return outSize > 1 ? dst * (double) (inSize - 1) / (outSize - 1) : 0;
        }
        double s = (dst + 0.5) * inSize / outSize - 0.5;
        return Math.max(s, 0);
    }

    static Ref bilinear(Ref x, int oh, int ow, boolean align) {
        int planes = x.dims[0] * x.dims[1], h = x.dims[2], w = x.dims[3];
        Ref y = Ref.zeros(x.dims[0], x.dims[1], oh, ow);
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                double sy = source(i, h, oh, align);
                int y0 = Math.min((int) Math.floor(sy), h - 1), y1 = Math.min(y0 + 1, h - 1);
                double fy = sy - y0;
                for (int j = 0; j < ow; j++) {
                    double sx = source(j, w, ow, align);
                    int x0 = Math.min((int) Math.floor(sx), w - 1), x1 = Math.min(x0 + 1, w - 1);
                    double fx = sx - x0;
                    double v00 = x.v[p * h * w + y0 * w + x0], v01 = x.v[p * h * w + y0 * w + x1];
                    double v10 = x.v[p * h * w + y1 * w + x0], v11 = x.v[p * h * w + y1 * w + x1];
                    y.v[p * oh * ow + i * ow + j] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
                }
            }
        }
        return y;
    }

    static Ref maxPool(Ref x, int k, int s, int pad) {
        int planes = x.dims[0] * x.dims[1], h = x.dims[2], w = x.dims[3];
        int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
        Ref y = Ref.zeros(x.dims[0], x.dims[1], oh, ow);
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int iy = i * s - pad + a, ix = j * s - pad + b;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                m = Math.max(m, x.v[p * h * w + iy * w + ix]);
                            }
                        }
                    }
                    y.v[p * oh * ow + i * ow + j] = m;
                }
            }
        }
        return y;
    }

    static Ref avgPool(Ref x, int k, int s, int pad, boolean countIncludePad) {
        int planes = x.dims[0] * x.dims[1], h = x.dims[2], w = x.dims[3];
        int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
        Ref y = Ref.zeros(x.dims[0], x.dims[1], oh, ow);
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double sum = 0;
                    int count = 0;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int iy = i * s - pad + a, ix = j * s - pad + b;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                sum += x.v[p * h * w + iy * w + ix];
                                count++;
                            }
                        }
                    }
                    int hs = Math.max(i * s - pad, -pad), he = Math.min(i * s - pad + k, h + pad);
                    int ws = Math.max(j * s - pad, -pad), we = Math.min(j * s - pad + k, w + pad);
                    int div = countIncludePad ? (he - hs) * (we - ws) : count;
                    y.v[p * oh * ow + i * ow + j] = sum / div;
                }
            }
        }
        return y;
    }

    /** Mean cross-entropy with label smoothing over rows whose target != ignore (torch semantics, no weights). */
    static double crossEntropy(Ref logits, int[] targets, int ignore, double smoothing) {
        int rows = logits.dims[0], c = logits.dims[1];
        double total = 0;
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            if (targets[r] == ignore) {
                continue;
            }
            double[] row = java.util.Arrays.copyOfRange(logits.v, r * c, r * c + c);
            double[] ls = Ref.logSoftmaxRow(row);
            double nll = -ls[targets[r]];
            double smooth = 0;
            for (double l : ls) {
                smooth -= l;
            }
            total += (1 - smoothing) * nll + smoothing * smooth / c;
            counted++;
        }
        return total / counted;
    }

    /** Mean BCE with logits, torch's formula with optional pos_weight per class (last axis). */
    static double bceWithLogits(Ref logits, Ref targets, Ref posWeight) {
        int c = logits.dim(-1);
        double total = 0;
        for (int i = 0; i < logits.v.length; i++) {
            double x = logits.v[i], t = targets.v[i];
            double pw = posWeight == null ? 1 : posWeight.v[i % c];
            double logSigX = -Math.log1p(Math.exp(-x));
            double logSigNegX = -Math.log1p(Math.exp(x));
            total += -(pw * t * logSigX + (1 - t) * logSigNegX);
        }
        return total / logits.v.length;
    }
}
