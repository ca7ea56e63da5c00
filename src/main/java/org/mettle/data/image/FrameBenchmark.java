package org.mettle.data.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Frames per second of decode + resize (shorter side) + center crop + normalise over a directory of images, the
 * counterpart of bench/torchvision_resize.py. Not a test: run it by hand, e.g.
 * {@code java -cp target/classes org.mettle.data.image.FrameBenchmark DIR [size] [bicubic|bilinear] [rounds] [threads]}.
 * Each file's bytes are read into memory first, so the numbers exclude disk I/O, as the Python script's do.
 */
public final class FrameBenchmark {
    private FrameBenchmark() {}

    public record Result(int frames, double seconds, int threads) {
        public double framesPerSecond() {
            return frames / seconds;
        }
    }

    public static Result run(List<byte[]> images, FramePipeline pipeline, int rounds, int threads) throws Exception {
        // warm-up: one pass, so the JIT has compiled the kernels
        for (byte[] b : images) {
            pipeline.apply(ImageDecoder.decode(b, Path.of("bench")));
        }
        long t0 = System.nanoTime();
        int frames = rounds * images.size();
        if (threads <= 1) {
            for (int r = 0; r < rounds; r++) {
                for (byte[] b : images) {
                    pipeline.apply(ImageDecoder.decode(b, Path.of("bench")));
                }
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    for (byte[] b : images) {
                        fs.add(pool.submit(() -> pipeline.apply(ImageDecoder.decode(b, Path.of("bench")))));
                    }
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
        return new Result(frames, (System.nanoTime() - t0) / 1e9, threads);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: FrameBenchmark DIR [size=224] [bicubic|bilinear] [rounds=3] [threads=1]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 224;
        ResampleFilter filter = args.length > 2 ? ResampleFilter.parse(args[2]) : ResampleFilter.BICUBIC;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        List<byte[]> images = new ArrayList<>();
        long pixels = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$")).sorted().toList()) {
                byte[] b = Files.readAllBytes(p);
                RgbImage img = ImageDecoder.decode(b, p);
                pixels += (long) img.width() * img.height();
                images.add(b);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no .jpg or .png files");
        }
        FramePipeline pipe = FramePipeline.builder().resizeShorterSide(size).filter(filter).centerCrop(size, size).build();
        Result r = run(images, pipe, rounds, threads);
        System.out.printf(Locale.ROOT, "java decode+resize+crop+normalise: %d images (mean %.2f MP), %s %d, %d thread(s): %.1f frames/s%n",
                images.size(), pixels / 1e6 / images.size(), filter.name().toLowerCase(Locale.ROOT), size, threads, r.framesPerSecond());
    }
}
