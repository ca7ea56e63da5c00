package org.mettle.method;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mettle.tensor.Tensor;

/**
 * One audio-visual adaptation method as the trainer, evaluator and benchmarks see it: Mettle, the LAVisH-style
 * adapters or a pooled baseline, over two backbones (visual, audio) and one task head.
 *
 * <p>Inputs are per one-second segment with the segments folded into the batch: frames [B * T, 3, H, W], audio
 * features [B * T, frames, mel]. Labels: AVE I32 [B * T] (class per segment), AVVP F32 [B, 25] (weak video labels).
 */
public interface AvModel extends AutoCloseable {
    /** Learning-rate group of a trainable tensor. */
    enum Group {
        /** Meta-tokens, LCD layers, adapters, latent tokens, prompts: the method's own tensors. */
        METHOD,
        /** Task head and the projections into it. */
        HEAD,
        /** Backbone weights (full fine-tuning only). */
        BACKBONE
    }

    /** The method's command-line name: {@code mettle}, {@code lavish}, {@code full}, {@code linear}, ... */
    String method();

    Task task();

    /** Every tensor the optimizer updates, by unique name, in a fixed order (checkpoints hold exactly these). */
    Map<String, Tensor> trainableTensors();

    /** The learning-rate group of one name of {@link #trainableTensors()}. */
    Group group(String name);

    /** The mean loss of one batch, with a graph over the trainable tensors when grad mode is on. */
    Tensor loss(Tensor frames, Tensor audio, Tensor labels, int batch, int segments);

    /** AVE logits [B * T, 29], forward only. */
    Tensor aveLogits(Tensor frames, Tensor audio);

    /** AVVP probabilities, forward only; the caller closes the output. */
    AvvpHead.Output avvpOutput(Tensor frames, Tensor audio, int batch, int segments);

    /** Number of trainable scalars. */
    default long trainableParameterCount() {
        long n = 0;
        for (Tensor t : trainableTensors().values()) {
            n += t.shape().numel();
        }
        return n;
    }

    /** The trainable tensors of one group, in order. */
    default Map<String, Tensor> trainableTensors(Group g) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        trainableTensors().forEach((name, t) -> {
            if (group(name) == g) {
                out.put(name, t);
            }
        });
        return out;
    }

    /** Closes the method's own tensors; the backbones are borrowed and stay open. */
    @Override
    void close();
}
