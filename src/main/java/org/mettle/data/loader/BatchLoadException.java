package org.mettle.data.loader;

import java.util.List;

/** A sample failed to load or a batch to collate in a {@link PrefetchLoader}; names the batch and sample. */
public final class BatchLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int batch;
    private final transient List<String> sampleIds;

    BatchLoadException(int batch, List<String> sampleIds, String message, Throwable cause) {
        super(message, cause);
        this.batch = batch;
        this.sampleIds = List.copyOf(sampleIds);
    }

    /** Index of the batch in the epoch (0-based). */
    public int batch() {
        return batch;
    }

    /** The sample that failed, or every sample of the batch when collating failed. */
    public List<String> sampleIds() {
        return sampleIds;
    }
}
