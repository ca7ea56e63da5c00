package org.mettle.tensor;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Releases every tensor created while it is open, except those {@link #keep kept}:
 * {@code try (var s = Scope.open()) { Tensor y = f(x); return s.keep(y); }}. Scopes nest per thread; a kept
 * tensor moves to the enclosing scope (or to the caller when there is none).
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final Set<Tensor> owned = new LinkedHashSet<>();
    private boolean closed;

    private Scope() {}

    public static Scope open() {
        Scope s = new Scope();
        STACK.get().push(s);
        return s;
    }

    /** Registers a new tensor with the innermost open scope of this thread, if any. */
    static void track(Tensor t) {
        Scope s = STACK.get().peek();
        if (s != null) {
            s.owned.add(t);
        }
    }

    /** Exempts t from this scope's release and hands it to the enclosing scope. */
    public <T extends Tensor> T keep(T t) {
        if (t != null && owned.remove(t)) {
            Deque<Scope> stack = STACK.get();
            Scope parent = null;
            boolean seenSelf = false;
            for (Scope s : stack) {
                if (seenSelf) {
                    parent = s;
                    break;
                }
                seenSelf = s == this;
            }
            if (parent != null) {
                parent.owned.add(t);
            }
        }
        return t;
    }

    /** Removes t from every open scope of this thread: the caller now owns it. */
    static void untrack(Tensor t) {
        for (Scope s : STACK.get()) {
            s.owned.remove(t);
        }
    }

    /** Number of tensors this scope will release. */
    public int size() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Deque<Scope> stack = STACK.get();
        if (stack.peek() != this) {
            stack.remove(this);
        } else {
            stack.pop();
        }
        Tensor[] toClose = owned.toArray(new Tensor[0]);
        owned.clear();
        for (int i = toClose.length - 1; i >= 0; i--) {
            toClose[i].close();
        }
    }
}
