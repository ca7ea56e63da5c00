package org.mettle.backend.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * The three passes of {@link VectorMath}'s normal CDF on one vector, for {@link VectorMathTest}. A separate class
 * (whose name matches no test pattern) so that no method signature of a test class names a jdk.incubator.vector
 * type: JUnit reads those signatures during discovery, also in the scalar-path run without the vector module,
 * where the vector tests are then skipped instead of failing discovery.
 */
final class CdfPasses {
    private CdfPasses() {}

    static FloatVector normalCdf(FloatVector x) {
        float[] in = new float[VectorMath.S.length()];
        x.intoArray(in, 0);
        float[] w = new float[5 * VectorMath.CDF_BLOCK];
        VectorMath.cdfPrepare(in, 0, in.length, w);
        VectorMath.expInPlace(w, 0, in.length);
        return VectorMath.cdfAt(x, w, 0);
    }
}
