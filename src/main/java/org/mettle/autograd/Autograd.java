package org.mettle.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.Tensor;

/** Reverse-mode differentiation over the nodes recorded by operations. */
public final class Autograd {
    private Autograd() {}

    /** True when an operation on these inputs must record a node: grad mode on and some input requires grad. */
    public static boolean needed(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Links out to node when recording is needed for inputs; returns out. */
    public static Tensor record(Tensor out, Node node) {
        out.setGradFn(node);
        return out;
    }

    /**
     * Backpropagates from root. gradRoot null means ones (root must then have one element). Leaf gradients are
     * accumulated into {@link Tensor#grad()} (category GRADIENTS); nodes free their saved tensors unless retainGraph.
     */
    public static void backward(Tensor root, Tensor gradRoot, boolean retainGraph) {
        Node top = root.gradFn();
        if (top == null) {
            throw new IllegalStateException("backward() on " + root.describeShort()
                    + " which has no graph: no input required grad, or it was computed under GradMode.noGrad()");
        }
        if (gradRoot == null && root.numel() != 1) {
            throw new IllegalArgumentException("backward() without a gradient needs a one-element tensor, got " + root.describeShort());
        }
        if (gradRoot != null && !gradRoot.shape().equals(root.shape())) {
            throw new IllegalArgumentException("gradient shape " + gradRoot.shape() + " does not match output " + root.describeShort());
        }
        List<Node> order = topologicalOrder(top);
        Map<Node, Tensor> pending = new HashMap<>();
        try (var noGrad = GradMode.noGrad(); var cat = MemoryCategory.using(MemoryCategory.GRADIENTS)) {
            Tensor seed = gradRoot != null ? gradRoot.detach() : Tensor.ones(root.backend(), root.shape());
            seed.untrack();
            pending.put(top, seed);
            for (Node node : order) {
                Tensor g = pending.remove(node);
                if (g == null) {
                    continue; // no gradient reached this node (its output was unused by the root)
                }
                Tensor[] grads;
                try {
                    grads = node.runBackward(g);
                } finally {
                    g.close();
                }
                Tensor[] inputs = node.inputs();
                for (int i = 0; i < inputs.length; i++) {
                    Tensor gi = i < grads.length ? grads[i] : null;
                    if (gi == null) {
                        continue;
                    }
                    gi.untrack();
                    Tensor in = inputs[i];
                    if (in == null || !in.requiresGrad()) {
                        gi.close();
                        continue;
                    }
                    if (!gi.shape().equals(in.shape())) {
                        throw new IllegalStateException("backward of '" + node.name() + "' produced a gradient of shape " + gi.shape()
                                + " for input " + i + " of shape " + in.shape());
                    }
                    if (in.gradFn() != null) {
                        accumulate(pending, in.gradFn(), gi);
                    } else if (in.grad() == null) {
                        in.setGrad(gi);
                    } else {
                        in.backend().axpby(1f, gi, 1f, in.grad());
                        gi.close();
                    }
                }
                if (!retainGraph) {
                    node.release();
                }
            }
        } finally {
            for (Tensor t : pending.values()) {
                t.close();
            }
        }
    }

    private static void accumulate(Map<Node, Tensor> pending, Node node, Tensor g) {
        Tensor prev = pending.get(node);
        if (prev == null) {
            pending.put(node, g);
        } else {
            prev.backend().axpby(1f, g, 1f, prev);
            g.close();
        }
    }

    /** Nodes reachable from top, each after every node that consumes its output. */
    static List<Node> topologicalOrder(Node top) {
        List<Node> postOrder = new ArrayList<>();
        Set<Node> visited = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {top, 0});
        visited.add(top);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Node n = (Node) frame[0];
            int i = (Integer) frame[1];
            Tensor[] in = n.inputs();
            if (i < in.length) {
                frame[1] = i + 1;
                Node child = in[i] == null ? null : in[i].gradFn();
                if (child != null && visited.add(child)) {
                    stack.push(new Object[] {child, 0});
                }
            } else {
                stack.pop();
                postOrder.add(n);
            }
        }
        List<Node> order = new ArrayList<>(postOrder.size());
        for (int i = postOrder.size() - 1; i >= 0; i--) {
            order.add(postOrder.get(i));
        }
        return order;
    }

    /** Frees the saved tensors of every node under root without running a backward (an abandoned graph). */
    public static void releaseGraph(Tensor root) {
        if (root.gradFn() == null) {
            return;
        }
        Set<Node> seen = new HashSet<>();
        for (Node n : topologicalOrder(root.gradFn())) {
            if (seen.add(n)) {
                n.release();
            }
        }
    }
}
