package org.mettle.tensor;

import java.util.Arrays;
import java.util.Random;
import org.mettle.autograd.Autograd;
import org.mettle.autograd.ElementwiseOps;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.NnOps;
import org.mettle.autograd.Node;
import org.mettle.autograd.ReduceOps;
import org.mettle.autograd.ShapeOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.UnaryOp;
import org.mettle.memory.MemoryCategory;

/**
 * A dense row-major tensor: shape, dtype and a reference to device storage at an element offset. Every tensor
 * holds one reference to its storage and releases it on {@link #close()}; {@link Scope}s close the tensors
 * created inside them. Operations with autograd live in {@code org.mettle.autograd} and are exposed here with
 * DJL-style names.
 */
public final class Tensor implements AutoCloseable {
    private final Shape shape;
    private final DType dtype;
    private final Backend backend;
    private final Storage storage;
    private final long offset;
    private boolean closed;

    private boolean requiresGrad;
    private Node gradFn;
    private Tensor grad;
    private String name;

    private Tensor(Backend backend, Shape shape, DType dtype, Storage storage, long offset, boolean tracked) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        this.storage = storage;
        this.offset = offset;
        if (tracked) {
            Scope.track(this);
        }
    }

    // ---- creation ------------------------------------------------------------------------------------------

    /** Uninitialised tensor in the thread's current memory category. */
    public static Tensor empty(Backend backend, Shape shape, DType dtype) {
        return empty(backend, shape, dtype, MemoryCategory.current());
    }

    public static Tensor empty(Backend backend, Shape shape, DType dtype, MemoryCategory category) {
        Storage s = backend.allocate(dtype, shape.numel(), category);
        return new Tensor(backend, shape, dtype, s, 0, true);
    }

    public static Tensor empty(Backend backend, Shape shape) {
        return empty(backend, shape, DType.F32);
    }

    public static Tensor zeros(Backend backend, Shape shape) {
        return full(backend, shape, 0f);
    }

    public static Tensor ones(Backend backend, Shape shape) {
        return full(backend, shape, 1f);
    }

    public static Tensor full(Backend backend, Shape shape, float value) {
        Tensor t = empty(backend, shape);
        backend.fill(t, value);
        return t;
    }

    /** A CPU F32 tensor holding a copy of data. */
    public static Tensor of(float[] data, int... dims) {
        return of(Backends.cpu(), data, dims);
    }

    public static Tensor of(Backend backend, float[] data, int... dims) {
        Shape s = Shape.of(dims);
        if (s.numel() != data.length) {
            throw new IllegalArgumentException("shape " + s + " holds " + s.numel() + " elements but " + data.length + " values were given");
        }
        Tensor t = empty(backend, s);
        backend.write(t, data);
        return t;
    }

    /** A CPU I32 tensor (class indices, argmax results). */
    public static Tensor ofInts(int[] data, int... dims) {
        Shape s = Shape.of(dims);
        if (s.numel() != data.length) {
            throw new IllegalArgumentException("shape " + s + " holds " + s.numel() + " elements but " + data.length + " values were given");
        }
        Tensor t = empty(Backends.cpu(), s, DType.I32);
        t.backend.writeInts(t, data);
        return t;
    }

    /** Standard normal values times std, from a seeded generator (deterministic across runs). */
    public static Tensor randn(Backend backend, Random random, float std, int... dims) {
        Shape s = Shape.of(dims);
        float[] v = new float[s.numelInt()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        Tensor t = empty(backend, s);
        if (backend.device() != Device.META) {
            backend.write(t, v);
        }
        return t;
    }

    // ---- properties ----------------------------------------------------------------------------------------

    public Shape shape() {
        return shape;
    }

    public int dim(int axis) {
        return shape.dim(axis);
    }

    public int rank() {
        return shape.rank();
    }

    public long numel() {
        return shape.numel();
    }

    public DType dtype() {
        return dtype;
    }

    public Backend backend() {
        return backend;
    }

    public Device device() {
        return backend.device();
    }

    public Storage storage() {
        checkOpen();
        return storage;
    }

    /** Element offset of this tensor inside its storage. */
    public long offset() {
        return offset;
    }

    /** Offset as an int, for heap-backed storage. */
    public int offsetInt() {
        return (int) offset;
    }

    public long bytes() {
        return shape.numel() * dtype.byteSize();
    }

    public String name() {
        return name;
    }

    public Tensor named(String name) {
        this.name = name;
        return this;
    }

    public boolean isClosed() {
        return closed;
    }

    // ---- lifetime ------------------------------------------------------------------------------------------

    /** A new handle on the same storage, not tracked by any scope (the caller closes it). */
    public Tensor share() {
        checkOpen();
        storage.retain();
        return new Tensor(backend, shape, dtype, storage, offset, false);
    }

    /** Same data with another shape (same element count); the result shares storage and has no gradient link. */
    public Tensor viewAs(Shape newShape) {
        checkOpen();
        if (newShape.numel() != shape.numel()) {
            throw new IllegalArgumentException("cannot view " + describeShort() + " as " + newShape + ": element counts differ");
        }
        storage.retain();
        return new Tensor(backend, newShape, dtype, storage, offset, true);
    }

    /** Elements [start, start + count) along axis 0 (or of the flat data for rank 1), sharing storage, no gradient link. */
    public Tensor viewRows(int start, int count, Shape newShape) {
        checkOpen();
        long rowSize = shape.rank() == 0 ? 1 : shape.numel() / Math.max(1, shape.dim(0));
        if (start < 0 || count < 0 || start + count > (shape.rank() == 0 ? 1 : shape.dim(0))) {
            throw new IllegalArgumentException("rows [" + start + ", " + (start + count) + ") out of range for " + describeShort());
        }
        if (newShape.numel() != count * rowSize) {
            throw new IllegalArgumentException("view shape " + newShape + " does not hold " + count + " rows of " + rowSize);
        }
        storage.retain();
        return new Tensor(backend, newShape, dtype, storage, offset + start * rowSize, true);
    }

    /** Removes this tensor from the open scopes: the caller now owns it and closes it. */
    public Tensor untrack() {
        Scope.untrack(this);
        return this;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            storage.release();
            if (grad != null) {
                grad.close();
                grad = null;
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tensor " + describeShort() + " was closed (released by its scope?): keep it with Scope.keep");
        }
    }

    // ---- autograd ------------------------------------------------------------------------------------------

    /** True for leaves marked trainable and for results of recorded operations. */
    public boolean requiresGrad() {
        return requiresGrad || gradFn != null;
    }

    /** Marks a leaf as trainable: backward will fill {@link #grad()}. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalStateException("cannot clear requiresGrad on a non-leaf tensor; use detach()");
        }
        this.requiresGrad = value;
        return this;
    }

    public Node gradFn() {
        return gradFn;
    }

    /** Used by operations to link their output to its node. */
    public void setGradFn(Node node) {
        this.gradFn = node;
    }

    public Tensor grad() {
        return grad;
    }

    /** Replaces the gradient (closing the old one). Used by autograd and optimisers. */
    public void setGrad(Tensor g) {
        if (grad != null && grad != g) {
            grad.close();
        }
        grad = g;
    }

    public void zeroGrad() {
        setGrad(null);
    }

    /** Backpropagates from this scalar (or with a gradient of ones), filling the leaves' grads. */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    public void backward(Tensor gradOutput) {
        Autograd.backward(this, gradOutput, false);
    }

    /** Same data, no gradient link (shares storage). */
    public Tensor detach() {
        return viewAs(shape);
    }

    // ---- data ----------------------------------------------------------------------------------------------

    public float[] toFloatArray() {
        checkOpen();
        return backend.readFloats(this);
    }

    public int[] toIntArray() {
        checkOpen();
        return backend.readInts(this);
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (shape.numel() != 1) {
            throw new IllegalStateException("item() needs a one-element tensor, got " + describeShort());
        }
        return toFloatArray()[0];
    }

    /** A copy on the given backend (no gradient link). */
    public Tensor toDevice(Backend target) {
        checkOpen();
        if (target == backend) {
            return detach();
        }
        Tensor t = empty(target, shape, dtype);
        if (target.device() == Device.META) {
            return t;
        }
        if (backend.device() == Device.META) {
            t.close();
            throw new IllegalStateException("tensor " + describeShort() + " lives on the meta device and has no data to copy to " + target.device());
        }
        if (dtype == DType.I32) {
            target.writeInts(t, toIntArray());
        } else {
            target.write(t, toFloatArray());
        }
        return t;
    }

    /** Converts to another element type (a copy). */
    public Tensor toType(DType target) {
        Tensor t = empty(backend, shape, target);
        backend.convert(this, t);
        return t;
    }

    // ---- operations (autograd-aware) -----------------------------------------------------------------------

    public Tensor add(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.ADD, this, other);
    }

    public Tensor sub(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.SUB, this, other);
    }

    public Tensor mul(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.MUL, this, other);
    }

    public Tensor div(Tensor other) {
        return ElementwiseOps.binary(BinaryOp.DIV, this, other);
    }

    public Tensor add(float s) {
        return ElementwiseOps.scalar(BinaryOp.ADD, this, s);
    }

    public Tensor sub(float s) {
        return ElementwiseOps.scalar(BinaryOp.SUB, this, s);
    }

    public Tensor mul(float s) {
        return ElementwiseOps.scalar(BinaryOp.MUL, this, s);
    }

    public Tensor div(float s) {
        return ElementwiseOps.scalar(BinaryOp.DIV, this, s);
    }

    public Tensor pow(float exponent) {
        return ElementwiseOps.scalar(BinaryOp.POW, this, exponent);
    }

    public Tensor neg() {
        return ElementwiseOps.unary(UnaryOp.NEG, this);
    }

    public Tensor exp() {
        return ElementwiseOps.unary(UnaryOp.EXP, this);
    }

    public Tensor log() {
        return ElementwiseOps.unary(UnaryOp.LOG, this);
    }

    public Tensor sqrt() {
        return ElementwiseOps.unary(UnaryOp.SQRT, this);
    }

    public Tensor tanh() {
        return ElementwiseOps.unary(UnaryOp.TANH, this);
    }

    public Tensor sigmoid() {
        return ElementwiseOps.unary(UnaryOp.SIGMOID, this);
    }

    public Tensor relu() {
        return ElementwiseOps.unary(UnaryOp.RELU, this);
    }

    public Tensor gelu() {
        return ElementwiseOps.unary(UnaryOp.GELU, this);
    }

    public Tensor square() {
        return ElementwiseOps.unary(UnaryOp.SQUARE, this);
    }

    public Tensor matMul(Tensor other) {
        return LinalgOps.matMul(this, other);
    }

    public Tensor reshape(int... dims) {
        return ShapeOps.reshape(this, dims);
    }

    public Tensor permute(int... axes) {
        return ShapeOps.permute(this, axes);
    }

    public Tensor transpose(int axis0, int axis1) {
        return ShapeOps.transpose(this, axis0, axis1);
    }

    public Tensor slice(int axis, int start, int end) {
        return ShapeOps.slice(this, axis, start, end);
    }

    public Tensor expand(int... dims) {
        return ShapeOps.expand(this, dims);
    }

    public Tensor sum() {
        return ReduceOps.sumAll(this);
    }

    public Tensor sum(boolean keepDims, int... axes) {
        return ReduceOps.sum(this, keepDims, axes);
    }

    public Tensor mean() {
        return ReduceOps.meanAll(this);
    }

    public Tensor mean(boolean keepDims, int... axes) {
        return ReduceOps.mean(this, keepDims, axes);
    }

    public Tensor softmax(int axis) {
        return NnOps.softmax(this, axis);
    }

    public Tensor logSoftmax(int axis) {
        return NnOps.logSoftmax(this, axis);
    }

    // ---- printing ------------------------------------------------------------------------------------------

    /** Short description for error messages: name, shape, dtype, device. */
    public String describeShort() {
        return (name != null ? "'" + name + "' " : "") + shape + " " + dtype + " on " + backend.device();
    }

    @Override
    public String toString() {
        if (closed || backend.device() == Device.META || dtype != DType.F32 || numel() > 16) {
            return "Tensor(" + describeShort() + (closed ? ", closed" : "") + ")";
        }
        return "Tensor(" + describeShort() + ", " + Arrays.toString(toFloatArray()) + ")";
    }
}
