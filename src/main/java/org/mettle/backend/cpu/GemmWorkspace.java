package org.mettle.backend.cpu;

/** Per-thread packing buffers, grown on demand and reused across calls. */
final class GemmWorkspace {
    private float[] a = new float[0];
    private float[] b = new float[0];
    private float[] tile = new float[0];
    private float[] panelB = new float[0];
    private float[] fewRowsA = new float[0];
    /** Identifies the (call, depth chunk) whose op(A) fewRowsA holds; null when it holds nothing reusable. */
    private Object fewRowsOwner;

    float[] packedA(int size) {
        if (a.length < size) {
            a = new float[size];
        }
        return a;
    }

    float[] packedB(int size) {
        if (b.length < size) {
            b = new float[size];
        }
        return b;
    }

    float[] panelB(int size) {
        if (panelB.length < size) {
            panelB = new float[size];
        }
        return panelB;
    }

    /** The few-rows path's packed op(A); {@link #packedFor} tells whether it already holds owner's rows. */
    float[] fewRowsA(int size) {
        if (fewRowsA.length < size) {
            fewRowsA = new float[size];
            fewRowsOwner = null;
        }
        return fewRowsA;
    }

    boolean packedFor(Object owner) {
        return fewRowsOwner == owner;
    }

    void markPacked(Object owner) {
        fewRowsOwner = owner;
    }

    float[] tile(int size) {
        if (tile.length < size) {
            tile = new float[size];
        }
        return tile;
    }
}
