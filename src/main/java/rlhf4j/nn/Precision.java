package rlhf4j.nn;

/**
 * The number format of the kernels' matrix products. {@link #FP32} multiplies FLOAT by FLOAT; {@link #BF16} rounds
 * both inputs of each product to bfloat16 (8 significant bits: a relative error of at most 2^-8) and accumulates and writes in FLOAT, as PyTorch's
 * {@code torch.autocast("cpu", dtype=torch.bfloat16)} does. Everything else — weights, gradients, optimizer state,
 * norms, softmax, losses — stays FLOAT in both.
 */
public enum Precision {
    FP32,
    BF16
}
