package org.mettle.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PrefetchLoaderTest {
    private static final List<Integer> TEN = IntStream.range(0, 10).boxed().toList();

    private static List<List<Integer>> drain(PrefetchLoader<Integer, Integer, List<Integer>> l) {
        List<List<Integer>> out = new ArrayList<>();
        try (l) {
            while (l.hasNext()) {
                out.add(l.next());
            }
        }
        return out;
    }

    private static PrefetchLoader.Builder<Integer, Integer, List<Integer>> plain(List<Integer> samples) {
        return PrefetchLoader.builder(samples, (s, r) -> s, items -> List.copyOf(items));
    }

    @Test
    void batchesInOrderWithAndWithoutTheLastPartialOne() {
        assertEquals(List.of(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6, 7, 8), List.of(9)), drain(plain(TEN).batchSize(3).build()));
        assertEquals(3, drain(plain(TEN).batchSize(3).dropLast(true).build()).size());
        PrefetchLoader<Integer, Integer, List<Integer>> l = plain(TEN).batchSize(5).build();
        assertEquals(2, l.batches());
        l.close();
        assertFalse(l.hasNext());
        assertThrows(IllegalStateException.class, l::next);
    }

    @Test
    void shuffleIsDeterministicPerSeedAndEpochWhateverTheThreads() {
        List<List<Integer>> a = drain(plain(TEN).batchSize(4).shuffle(42).epoch(1).build());
        // several workers, each sample taking a random time: same batches, same order
        List<List<Integer>> b = drain(PrefetchLoader.<Integer, Integer, List<Integer>>builder(TEN, (s, r) -> {
            Thread.sleep(new Random(s).nextInt(20));
            return s;
        }, items -> List.copyOf(items)).batchSize(4).shuffle(42).epoch(1).workers(3).prefetch(3).build());
        assertEquals(a, b);
        TreeSet<Integer> seen = new TreeSet<>();
        a.forEach(seen::addAll);
        assertEquals(new TreeSet<>(TEN), seen, "each sample once per epoch");
        assertNotEquals(a, drain(plain(TEN).batchSize(4).shuffle(42).epoch(2).build()), "another epoch, another order");
        assertNotEquals(a, drain(plain(TEN).batchSize(4).shuffle(43).epoch(1).build()), "another seed, another order");
    }

    @Test
    void perSampleRandomnessIsReproducible() {
        PrefetchLoader.SampleLoader<Integer, Integer> draw = (s, r) -> r.nextInt(1000);
        List<List<Integer>> a = drain(PrefetchLoader.<Integer, Integer, List<Integer>>builder(TEN, draw, List::copyOf).batchSize(2).seed(5).workers(2).build());
        List<List<Integer>> b = drain(PrefetchLoader.<Integer, Integer, List<Integer>>builder(TEN, draw, List::copyOf).batchSize(2).seed(5).build());
        assertEquals(a, b);
    }

    @Test
    void loadingRunsAheadOfTheConsumerButBounded() throws InterruptedException {
        AtomicInteger started = new AtomicInteger();
        CountDownLatch twoLoaded = new CountDownLatch(2);
        PrefetchLoader<Integer, Integer, List<Integer>> l = PrefetchLoader.<Integer, Integer, List<Integer>>builder(TEN, (s, r) -> {
            started.incrementAndGet();
            twoLoaded.countDown();
            return s;
        }, List::copyOf).batchSize(1).prefetch(2).build();
        try (l) {
            // nobody asked for a batch yet, yet two are being prepared in the background
            assertTrue(twoLoaded.await(30, TimeUnit.SECONDS), "the loader did not prefetch");
            Thread.sleep(100);
            assertTrue(started.get() <= 2, "more than prefetch=2 batches were loaded ahead: " + started.get());
            assertEquals(List.of(0), l.next());
        }
    }

    @Test
    void aFailingSampleIsNamedAndTheLoaderClosesItself() {
        PrefetchLoader<Integer, Integer, List<Integer>> l = PrefetchLoader.<Integer, Integer, List<Integer>>builder(TEN, (s, r) -> {
            if (s == 7) {
                throw new java.io.FileNotFoundException("frames/vid7/0003.png");
            }
            return s;
        }, List::copyOf).batchSize(3).sampleId(s -> "vid" + s).build();
        assertEquals(List.of(0, 1, 2), l.next());
        assertEquals(List.of(3, 4, 5), l.next());
        BatchLoadException e = assertThrows(BatchLoadException.class, l::next);
        assertEquals(2, e.batch());
        assertEquals(List.of("vid7"), e.sampleIds());
        assertTrue(e.getMessage().contains("vid7") && e.getMessage().contains("frames/vid7/0003.png"), e.getMessage());
        assertTrue(e.getCause() instanceof java.io.FileNotFoundException);
        assertFalse(l.hasNext());
        assertThrows(IllegalStateException.class, l::next);
    }

    @Test
    void aFailingCollateNamesTheWholeBatch() {
        PrefetchLoader<Integer, Integer, List<Integer>> l = PrefetchLoader.<Integer, Integer, List<Integer>>builder(TEN, (s, r) -> s, items -> {
            throw new IllegalArgumentException("frames of different sizes");
        }).batchSize(2).sampleId(s -> "v" + s).build();
        BatchLoadException e = assertThrows(BatchLoadException.class, l::next);
        assertEquals(List.of("v0", "v1"), e.sampleIds());
    }

    /** A resource that counts how it ends. */
    private static final class Res implements AutoCloseable {
        static final AtomicInteger CREATED = new AtomicInteger();
        static final AtomicInteger CLOSED = new AtomicInteger();
        boolean closed;

        Res() {
            CREATED.incrementAndGet();
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                CLOSED.incrementAndGet();
            }
        }
    }

    @Test
    void closeReleasesUndeliveredBatchesAndStopsTheWorkers() throws InterruptedException {
        Res.CREATED.set(0);
        Res.CLOSED.set(0);
        CountDownLatch threeBuilt = new CountDownLatch(3);
        List<Res> received = new ArrayList<>();
        PrefetchLoader<Integer, Res, Res> l = PrefetchLoader.<Integer, Res, Res>builder(TEN, (s, r) -> new Res(), items -> {
            threeBuilt.countDown();
            return new Res();
        }).batchSize(2).prefetch(3).workers(2).build();
        received.add(l.next());
        assertTrue(threeBuilt.await(30, TimeUnit.SECONDS));
        l.close();
        // every item was closed after collate; every batch is either with the caller or closed by the loader
        assertEquals(Res.CREATED.get() - received.size(), Res.CLOSED.get(), "leaked: created " + Res.CREATED.get() + ", closed "
                + Res.CLOSED.get() + ", handed out " + received.size());
        assertFalse(received.get(0).closed, "a delivered batch belongs to the caller");
        assertNoLoaderThreads();
    }

    /** Worker threads end once close() has returned; give the JVM a moment to retire them. */
    private static void assertNoLoaderThreads() throws InterruptedException {
        for (int i = 0; i < 100 && liveLoaderThreads() > 0; i++) {
            Thread.sleep(50);
        }
        assertEquals(0, liveLoaderThreads(), "loader worker threads still running after close");
    }

    private static long liveLoaderThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith("mettle-loader-")).count();
    }

    @Test
    void closeWhileAWorkerIsBlockedInterruptsIt() throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        PrefetchLoader<Integer, Integer, List<Integer>> l = PrefetchLoader.<Integer, Integer, List<Integer>>builder(TEN, (s, r) -> {
            entered.countDown();
            Thread.sleep(60_000); // a stuck read
            return s;
        }, List::copyOf).build();
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        l.close();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "close waited for the stuck worker");
        assertNoLoaderThreads();
    }
}
