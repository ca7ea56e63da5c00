package org.mettle.models.swin;

import org.mettle.backend.Backend;
import org.mettle.nn.Module;

/**
 * A container whose children are named by the caller: PyTorch's {@code nn.ModuleList} / {@code nn.Sequential}
 * indices ({@code layers.0}, {@code cpb_mlp.2}) or plain names ({@code blocks}).
 */
public final class ModuleList extends Module {
    public ModuleList(Backend backend) {
        super(backend);
    }

    public <M extends Module> M add(String name, M module) {
        return child(name, module);
    }
}
