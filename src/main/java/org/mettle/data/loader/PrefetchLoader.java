package org.mettle.data.loader;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Batches with background prefetching: while the caller computes on batch i, worker threads already load and
 * collate batches i+1 .. i+prefetch (a bounded window, so memory stays bounded). Batches come out in a fixed order:
 * the sample order is the identity or a shuffle seeded by (seed, epoch), whatever the thread timing, and each
 * sample's {@link Random} (for augmentation) is seeded by (seed, epoch, position).
 *
 * <p>Loading starts as soon as {@link Builder#build()} returns. A failure in a worker surfaces in {@link #next()} as a {@link BatchLoadException} naming the batch and the
 * sample id; the loader then closes itself. {@link #close()} stops the workers and closes every loaded batch or
 * item the caller never received (when they are {@link AutoCloseable}), so tensors are not leaked.
 *
 * @param <S> sample descriptor (e.g. an AveSample)
 * @param <T> loaded sample (e.g. float[] frames)
 * @param <B> batch (e.g. a Tensor or a record of tensors)
 */
public final class PrefetchLoader<S, T, B> implements java.util.Iterator<B>, AutoCloseable {
    /** Loads one sample; random is seeded per sample position, for deterministic augmentation. */
    @FunctionalInterface
    public interface SampleLoader<S, T> {
        T load(S sample, Random random) throws Exception;
    }

    /** Turns loaded samples into a batch. Loaded items that are AutoCloseable are closed after collate returns. */
    @FunctionalInterface
    public interface Collator<T, B> {
        B collate(List<T> items) throws Exception;
    }

    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private final List<S> order;
    private final int batchSize;
    private final int batches;
    private final long seed;
    private final int epoch;
    private final SampleLoader<S, T> loader;
    private final Collator<T, B> collator;
    private final Function<S, String> sampleId;
    private final int prefetch;
    private final ExecutorService pool;
    private final Deque<Slot<B>> inFlight = new ArrayDeque<>();
    private final Object lock = new Object();
    private int submitted;
    private int delivered;
    private boolean closed;

    /** A batch being built; result is set under the loader's lock unless the loader closed first. */
    private static final class Slot<B> {
        Future<?> future;
        B result;
        boolean taken;
    }

    private PrefetchLoader(Builder<S, T, B> b) {
        List<S> samples = new ArrayList<>(b.samples);
        if (b.shuffle) {
            Collections.shuffle(samples, new Random(mix(b.seed, b.epoch, -1)));
        }
        this.order = Collections.unmodifiableList(samples);
        this.batchSize = b.batchSize;
        int full = samples.size() / b.batchSize;
        this.batches = b.dropLast || samples.size() % b.batchSize == 0 ? full : full + 1;
        this.seed = b.seed;
        this.epoch = b.epoch;
        this.loader = b.loader;
        this.collator = b.collator;
        this.sampleId = b.sampleId;
        this.prefetch = b.prefetch;
        int id = POOL_IDS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "mettle-loader-" + id + "-" + n.incrementAndGet());
            t.setDaemon(true); // a loader the caller forgot to close must not keep the JVM alive
            return t;
        };
        this.pool = Executors.newFixedThreadPool(b.workers, tf);
        synchronized (lock) {
            topUp();
        }
    }

    public static <S, T, B> Builder<S, T, B> builder(List<S> samples, SampleLoader<S, T> loader, Collator<T, B> collator) {
        return new Builder<>(samples, loader, collator);
    }

    private static long mix(long seed, int epoch, long position) {
        long z = seed * 0x9E3779B97F4A7C15L ^ (epoch + 1L) * 0xBF58476D1CE4E5B9L ^ (position + 2L) * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 31)) * 0xD6E8FEB86CA39C4DL;
        return z ^ (z >>> 29);
    }

    /** The samples in the order this epoch visits them. */
    public List<S> order() {
        return order;
    }

    /** Number of batches in the epoch. */
    public int batches() {
        return batches;
    }

    private void topUp() {
        while (!closed && submitted < batches && inFlight.size() < prefetch) {
            int index = submitted++;
            Slot<B> slot = new Slot<>();
            slot.future = pool.submit(() -> build(index, slot));
            inFlight.addLast(slot);
        }
    }

    private List<S> samplesOf(int batch) {
        return order.subList(batch * batchSize, Math.min(order.size(), (batch + 1) * batchSize));
    }

    private void build(int batch, Slot<B> slot) throws BatchLoadException {
        List<S> samples = samplesOf(batch);
        List<T> items = new ArrayList<>(samples.size());
        B result;
        try {
            for (int i = 0; i < samples.size(); i++) {
                S s = samples.get(i);
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("loader closed");
                }
                try {
                    items.add(loader.load(s, new Random(mix(seed, epoch, (long) batch * batchSize + i))));
                } catch (Exception | Error e) {
                    throw new BatchLoadException(batch, List.of(sampleId.apply(s)), "batch " + batch + ": loading sample "
                            + sampleId.apply(s) + " failed: " + e, e);
                }
            }
            try {
                result = collator.collate(items);
            } catch (Exception | Error e) {
                throw new BatchLoadException(batch, samples.stream().map(sampleId).toList(), "batch " + batch + ": collating samples "
                        + samples.stream().map(sampleId).toList() + " failed: " + e, e);
            }
        } catch (InterruptedException e) {
            closeAll(items);
            return;
        } catch (BatchLoadException e) {
            closeAll(items);
            throw e;
        }
        closeAll(items);
        synchronized (lock) {
            if (closed) {
                closeQuietly(result);
                return;
            }
            slot.result = result;
        }
    }

    @Override
    public boolean hasNext() {
        synchronized (lock) {
            return !closed && delivered < batches;
        }
    }

    /** The next batch, waiting for it if the workers have not finished it yet. */
    @Override
    public B next() {
        Slot<B> slot;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the loader is closed");
            }
            if (delivered >= batches) {
                throw new NoSuchElementException("all " + batches + " batches were delivered");
            }
            slot = inFlight.peekFirst();
        }
        try {
            slot.future.get();
        } catch (ExecutionException e) {
            close();
            if (e.getCause() instanceof BatchLoadException ble) {
                throw new BatchLoadException(ble.batch(), ble.sampleIds(), ble.getMessage(), ble.getCause());
            }
            throw new IllegalStateException("loader worker failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the loader was closed while waiting for a batch");
            }
            inFlight.removeFirst();
            slot.taken = true;
            delivered++;
            topUp();
            return slot.result;
        }
    }

    /** Stops the workers and closes every batch or item not handed out. Idempotent. */
    @Override
    public void close() {
        List<Slot<B>> pending;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            pending = new ArrayList<>(inFlight);
            inFlight.clear();
        }
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("loader workers did not stop within 30 s (a sample loader ignores interrupts?)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Slot<B> s : pending) {
            if (!s.taken) {
                closeQuietly(s.result);
            }
        }
    }

    private static void closeAll(List<?> items) {
        for (Object o : items) {
            closeQuietly(o);
        }
    }

    private static void closeQuietly(Object o) {
        if (o instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // releasing on a shutdown or error path; the primary outcome is already decided
            }
        }
    }

    /** Loader settings; defaults: batch size 1, no shuffle, seed 0, epoch 0, keep the last partial batch, prefetch 2, 1 worker. */
    public static final class Builder<S, T, B> {
        private final List<S> samples;
        private final SampleLoader<S, T> loader;
        private final Collator<T, B> collator;
        private int batchSize = 1;
        private boolean shuffle;
        private long seed;
        private int epoch;
        private boolean dropLast;
        private int prefetch = 2;
        private int workers = 1;
        private Function<S, String> sampleId = String::valueOf;

        private Builder(List<S> samples, SampleLoader<S, T> loader, Collator<T, B> collator) {
            this.samples = List.copyOf(samples);
            this.loader = Objects.requireNonNull(loader, "loader");
            this.collator = Objects.requireNonNull(collator, "collator");
        }

        public Builder<S, T, B> batchSize(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("batch size must be positive, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** Shuffle with this seed (each epoch differently, reproducibly); the seed also seeds per-sample randomness. */
        public Builder<S, T, B> shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        /** Seed for per-sample randomness without shuffling. */
        public Builder<S, T, B> seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder<S, T, B> epoch(int epoch) {
            this.epoch = epoch;
            return this;
        }

        public Builder<S, T, B> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Batches loaded ahead of the caller (at least 1). */
        public Builder<S, T, B> prefetch(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("prefetch must be at least 1, got " + n);
            }
            this.prefetch = n;
            return this;
        }

        /** Threads building batches in parallel (at least 1; order is kept whatever the number). */
        public Builder<S, T, B> workers(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("workers must be at least 1, got " + n);
            }
            this.workers = n;
            return this;
        }

        /** How errors name a sample (default: toString). */
        public Builder<S, T, B> sampleId(Function<S, String> id) {
            this.sampleId = Objects.requireNonNull(id);
            return this;
        }

        public PrefetchLoader<S, T, B> build() {
            return new PrefetchLoader<>(this);
        }
    }
}
