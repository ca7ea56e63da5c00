package org.mettle.train.metrics;

/**
 * AVE segment accuracy: the fraction of one-second segments whose argmax class (over the 29 classes,
 * background included) equals the label. Accumulates over batches of videos; ties take the lowest index.
 */
public final class AveMetrics {
    private long correct;
    private long total;

    /** Adds one video: {@code scores[segment][class]} (logits or probabilities), {@code labels[segment]}. */
    public void addVideo(float[][] scores, int[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException("AVE metrics: " + scores.length + " scored segments but "
                    + labels.length + " labels; both must cover the same segments");
        }
        for (int segment = 0; segment < scores.length; segment++) {
            int numClasses = scores[segment].length;
            int label = labels[segment];
            if (label < 0 || label >= numClasses) {
                throw new IllegalArgumentException("AVE metrics: segment " + segment + " has label " + label
                        + ", expected a class index in [0, " + numClasses + ")");
            }
            if (argmax(scores[segment]) == label) {
                correct++;
            }
            total++;
        }
    }

    /** Adds a batch: {@code scores[video][segment][class]}, {@code labels[video][segment]}. */
    public void addBatch(float[][][] scores, int[][] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException("AVE metrics: " + scores.length + " scored videos but "
                    + labels.length + " label rows");
        }
        for (int video = 0; video < scores.length; video++) {
            addVideo(scores[video], labels[video]);
        }
    }

    public long correct() {
        return correct;
    }

    public long total() {
        return total;
    }

    /** Accuracy in [0, 1]; 0 when nothing was added (no segment is right). */
    public double accuracy() {
        return total == 0 ? 0.0 : (double) correct / total;
    }

    /** One-shot accuracy over {@code scores[video][segment][class]} against {@code labels[video][segment]}. */
    public static double segmentAccuracy(float[][][] scores, int[][] labels) {
        AveMetrics metrics = new AveMetrics();
        metrics.addBatch(scores, labels);
        return metrics.accuracy();
    }

    /** Index of the largest value; the first one on ties. NaN never wins. */
    public static int argmax(float[] row) {
        if (row.length == 0) {
            throw new IllegalArgumentException("AVE metrics: a segment has no class scores");
        }
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best] || Float.isNaN(row[best])) {
                best = i;
            }
        }
        return best;
    }

    /** Converts one-hot (or soft) label rows {@code [segment][class]} to class indices by argmax. */
    public static int[] labelsFromOneHot(float[][] oneHot) {
        int[] labels = new int[oneHot.length];
        for (int segment = 0; segment < oneHot.length; segment++) {
            labels[segment] = argmax(oneHot[segment]);
        }
        return labels;
    }
}
