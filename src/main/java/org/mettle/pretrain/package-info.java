/**
 * {@code mettle pretrain}: trains tiny backbones on synthetic single-modality classification so that the demo has
 * frozen backbones whose features separate the synthetic classes. See docs/pretrain.md.
 */
package org.mettle.pretrain;
