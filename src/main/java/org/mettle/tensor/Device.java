package org.mettle.tensor;

/** Where a tensor's storage lives. */
public enum Device {
    CPU,
    CUDA,
    /** Shapes and allocations only: no data, no compute. */
    META;

    public static Device parse(String name) {
        for (Device d : values()) {
            if (d.name().equalsIgnoreCase(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown device '" + name + "': expected cpu, cuda or meta");
    }
}
