/**
 * {@code mettle pretrain}: trains tiny backbones on synthetic single-modality classification so that the demo has
 * frozen backbones, on the synthetic classes or on a coarser attribute of them ({@link org.mettle.pretrain.PretrainTarget}:
 * shape, texture, timbre), as real backbones are pretrained on other labels than the downstream task's. The shipped
 * results: weights/README.md.
 */
package org.mettle.pretrain;
