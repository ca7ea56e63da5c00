package org.mettle.data.avs;

/** AVSBench subsets: single sound source (S4) and multiple sound sources (MS3). */
public enum AvsSubset {
    S4("s4_meta_data.csv", "s4_data"),
    MS3("ms3_meta_data.csv", "ms3_data");

    private final String metaFile;
    private final String dataDir;

    AvsSubset(String metaFile, String dataDir) {
        this.metaFile = metaFile;
        this.dataDir = dataDir;
    }

    public String metaFile() {
        return metaFile;
    }

    public String dataDir() {
        return dataDir;
    }

    public static AvsSubset parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "s4" -> S4;
            case "ms3" -> MS3;
            default -> throw new IllegalArgumentException("unknown AVSBench subset '" + s + "'; use s4 or ms3");
        };
    }
}
