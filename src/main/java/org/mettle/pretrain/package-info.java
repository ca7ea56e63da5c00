/**
 * {@code mettle pretrain}: trains tiny backbones on synthetic single-modality classification so that the demo has
 * frozen backbones whose features separate the synthetic classes. The shipped results: weights/README.md.
 */
package org.mettle.pretrain;
