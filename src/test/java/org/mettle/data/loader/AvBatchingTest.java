package org.mettle.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.data.ave.AveDataset;
import org.mettle.data.ave.AveSample;
import org.mettle.data.image.FramePipeline;
import org.mettle.data.synthetic.SynthOptions;
import org.mettle.data.synthetic.SyntheticAve;
import org.mettle.tensor.Tensor;

/** End to end: synthetic AVE on disk -> reader -> prefetching loader -> frame tensors and labels. */
class AvBatchingTest {
    @TempDir
    Path dir;

    record Loaded(float[] frames, int[] labels) {}

    record Batch(Tensor frames, int[] labels) implements AutoCloseable {
        @Override
        public void close() {
            frames.close();
        }
    }

    @Test
    void syntheticAveBatchesMatchTheDirectPipeline() {
        SyntheticAve.generate(dir.resolve("ave"), SynthOptions.defaults(9, 4).withClasses(4).withFramesPerSegment(2));
        AveDataset ds = AveDataset.read(dir.resolve("ave"), org.mettle.data.loader.Split.TRAIN);
        List<AveSample> samples = ds.samples();
        assertTrue(samples.size() >= 3, ds.report().format());
        FramePipeline pipe = FramePipeline.builder().resize(40, 40).centerCrop(32, 32).build();
        int per = 3 * 32 * 32;
        int segments = 10;
        try (PrefetchLoader<AveSample, Loaded, Batch> loader = PrefetchLoader.<AveSample, Loaded, Batch>builder(samples, (s, rnd) -> {
            float[] all = new float[segments * per];
            List<Path> middle = s.media().middleFrames();
            for (int k = 0; k < segments; k++) {
                System.arraycopy(pipe.apply(middle.get(k)), 0, all, k * per, per);
            }
            return new Loaded(all, s.segmentLabels());
        }, items -> {
            float[] data = new float[items.size() * segments * per];
            int[] labels = new int[items.size() * segments];
            for (int i = 0; i < items.size(); i++) {
                System.arraycopy(items.get(i).frames(), 0, data, i * segments * per, segments * per);
                System.arraycopy(items.get(i).labels(), 0, labels, i * segments, segments);
            }
            return new Batch(Tensor.of(data, items.size(), segments, 3, 32, 32), labels);
        }).batchSize(2).shuffle(1).workers(2).sampleId(AveSample::videoId).build()) {
            List<AveSample> order = loader.order();
            int b = 0;
            while (loader.hasNext()) {
                try (Batch batch = loader.next()) {
                    int n = batch.frames().dim(0);
                    assertEquals(List.of(n, segments, 3, 32, 32), List.of(batch.frames().dim(0), batch.frames().dim(1), batch.frames().dim(2),
                            batch.frames().dim(3), batch.frames().dim(4)));
                    float[] got = batch.frames().toFloatArray();
                    for (int i = 0; i < n; i++) {
                        AveSample s = order.get(b * 2 + i);
                        assertArrayEquals(s.segmentLabels(), java.util.Arrays.copyOfRange(batch.labels(), i * segments, (i + 1) * segments));
                        // segment 4's middle frame of 2 is the second frame file (0009.png)
                        Path frame = s.media().segmentFrames().get(4).get(1);
                        assertEquals("0009.png", frame.getFileName().toString());
                        float[] direct = pipe.apply(frame);
                        assertArrayEquals(direct, java.util.Arrays.copyOfRange(got, (i * segments + 4) * per, (i * segments + 5) * per));
                    }
                    b++;
                }
            }
            assertEquals(loader.batches(), b);
        }
    }
}
