package org.mettle.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.backend.Backend;
import org.mettle.tensor.Tensor;

/**
 * A layer with named parameters and named children; {@link #namedParameters()} gives the dotted names that
 * checkpoints use (timm style: {@code blocks.0.attn.qkv.weight}).
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    protected final Backend backend;

    protected Module(Backend backend) {
        this.backend = backend;
    }

    public Backend backend() {
        return backend;
    }

    /** Registers a parameter (owned by this module, untracked by scopes). */
    protected final Tensor parameter(String name, Tensor t) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("duplicate name '" + name + "' in " + getClass().getSimpleName());
        }
        t.untrack();
        t.named(name);
        parameters.put(name, t);
        return t;
    }

    /**
     * Swaps a registered parameter for another tensor of the same shape (e.g. its BF16 copy), keeping its name
     * and place in {@link #namedParameters()}; returns the old tensor, which the caller closes.
     */
    final Tensor replaceParameter(String name, Tensor replacement) {
        Tensor old = parameters.get(name);
        if (old == null) {
            throw new IllegalArgumentException("no parameter '" + name + "' in " + getClass().getSimpleName());
        }
        if (!old.shape().equals(replacement.shape())) {
            throw new IllegalArgumentException("replacing parameter '" + name + "' " + old.describeShort() + " with "
                    + replacement.describeShort() + ": shapes differ");
        }
        replacement.untrack();
        replacement.named(old.name());
        parameters.put(name, replacement);
        return old;
    }

    /** Direct children by name, in registration order. */
    final Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    protected final <M extends Module> M child(String name, M module) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("duplicate name '" + name + "' in " + getClass().getSimpleName());
        }
        children.put(name, module);
        return module;
    }

    /** Every parameter under this module by dotted name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        parameters.forEach((n, t) -> out.put(prefix + n, t));
        children.forEach((n, m) -> m.collect(prefix + n + ".", out));
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters that require grad. */
    public List<Tensor> trainableParameters() {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : parameters()) {
            if (t.requiresGrad()) {
                out.add(t);
            }
        }
        return out;
    }

    /** Marks every parameter trainable or frozen. */
    public Module trainable(boolean value) {
        for (Tensor t : parameters()) {
            t.requiresGrad(value);
        }
        return this;
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : parameters()) {
            n += t.numel();
        }
        return n;
    }

    public void zeroGrad() {
        for (Tensor t : parameters()) {
            t.zeroGrad();
        }
    }

    /**
     * Packs every frozen F32 Linear weight under this module for faster no-grad CPU forwards ({@link Linear#prepack});
     * returns how many were packed. One more copy of those weights: call it for inference, after loading weights.
     */
    public int prepackLinears() {
        int packed = this instanceof Linear l && l.prepack() ? 1 : 0;
        for (Module child : children.values()) {
            packed += child.prepackLinears();
        }
        return packed;
    }

    /** Frees every packed copy made by {@link #prepackLinears()}. */
    public void dropPrepackedLinears() {
        if (this instanceof Linear l) {
            l.dropPrepacked();
        }
        for (Module child : children.values()) {
            child.dropPrepackedLinears();
        }
    }

    /** Frees every parameter (and every packed weight copy). */
    @Override
    public void close() {
        dropPrepackedLinears();
        for (Tensor t : parameters()) {
            t.close();
        }
    }
}
