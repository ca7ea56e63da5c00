package org.mettle.models.vit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.tensor.Shape;

/**
 * Geometry of a ViT (timm {@code VisionTransformer}) or an AST-style audio ViT.
 *
 * <p>Frames: input [B, channels, height, width]. Spectrograms (AST): input [B, T, F] with T = {@code width} frames
 * and F = {@code height} mel bins; the model transposes it to a one-channel image [B, 1, F, T] as AST does, so the
 * patch grid is F' x T' (frequency-major token order) and patches may overlap ({@code stride < patch}).
 *
 * @param prefixTokens 1 (cls) for timm ViT, 2 (cls, dist) for AST (DeiT-distilled backbone)
 */
public record VitConfig(String name, boolean spectrogram, int channels, int height, int width, int patch,
                        int strideH, int strideW, int dim, int depth, int heads, int mlpHidden, int prefixTokens,
                        float eps) {

    public VitConfig {
        if (dim % heads != 0) {
            throw new IllegalArgumentException(name + ": width " + dim + " is not divisible by " + heads + " heads");
        }
        if (height < patch || width < patch || strideH < 1 || strideW < 1 || depth < 1) {
            throw new IllegalArgumentException(name + ": input " + height + "x" + width + " is smaller than the patch "
                    + patch + " or the stride/depth is not positive");
        }
        if (prefixTokens != 1 && prefixTokens != 2) {
            throw new IllegalArgumentException(name + ": prefix tokens must be 1 (cls) or 2 (cls, dist), got " + prefixTokens);
        }
    }

    private static final Map<String, VitConfig> NAMED = new LinkedHashMap<>();

    static {
        add(image("vit_tiny_patch16_224", 224, 16, 192, 12, 3));
        add(image("vit_small_patch16_224", 224, 16, 384, 12, 6));
        add(image("vit_base_patch16_224", 224, 16, 768, 12, 12));
        add(image("vit_large_patch16_224", 224, 16, 1024, 24, 16));
        // AST (Gong et al. 2021) as released: DeiT-B distilled, 128 mel bins x 1024 frames, 16x16 patches, stride 10
        add(audio("ast_base_patch16_128x1024", 128, 1024, 16, 10, 768, 12, 12));
        // tiny configs of the same families, for tests and smoke runs
        add(image("vit_test_patch8_32", 32, 8, 32, 3, 4));
        add(audio("ast_test_patch16_32x57", 32, 57, 16, 10, 32, 2, 2));
    }

    private static void add(VitConfig c) {
        NAMED.put(c.name(), c);
    }

    /** A square-image timm ViT with non-overlapping patches and MLP ratio 4. */
    public static VitConfig image(String name, int size, int patch, int dim, int depth, int heads) {
        return new VitConfig(name, false, 3, size, size, patch, patch, patch, dim, depth, heads, 4 * dim, 1, 1e-6f);
    }

    /** An AST-style audio ViT over F mel bins x T frames with overlapping patches (cls + dist tokens). */
    public static VitConfig audio(String name, int melBins, int frames, int patch, int stride, int dim, int depth, int heads) {
        return new VitConfig(name, true, 1, melBins, frames, patch, stride, stride, dim, depth, heads, 4 * dim, 2, 1e-6f);
    }

    /** The named configuration, or null. */
    public static VitConfig named(String name) {
        return NAMED.get(name);
    }

    public static List<String> names() {
        return new ArrayList<>(NAMED.keySet());
    }

    /** Same geometry with another depth (tests and memory planning). */
    public VitConfig withDepth(int newDepth) {
        return new VitConfig(name, spectrogram, channels, height, width, patch, strideH, strideW, dim, newDepth, heads,
                mlpHidden, prefixTokens, eps);
    }

    public int headDim() {
        return dim / heads;
    }

    /** Patch rows (frequency patches for spectrograms). */
    public int gridH() {
        return (height - patch) / strideH + 1;
    }

    /** Patch columns (time patches for spectrograms). */
    public int gridW() {
        return (width - patch) / strideW + 1;
    }

    public int patches() {
        return gridH() * gridW();
    }

    /** Tokens per example: prefix tokens then patches. */
    public int tokens() {
        return prefixTokens + patches();
    }

    /** The input the model takes: [B, C, H, W] frames or [B, T, F] spectrograms. */
    public Shape inputShape(int batch) {
        return spectrogram ? Shape.of(batch, width, height) : Shape.of(batch, channels, height, width);
    }

    /** Human-readable input layout, e.g. "B x 3 x 224 x 224 frames". */
    public String describeInput() {
        return spectrogram ? "B x " + width + " x " + height + " spectrograms (B x T frames x F mel bins)"
                : "B x " + channels + " x " + height + " x " + width + " frames";
    }
}
