package rlhf4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a pass computed for a {@link HeadRequest}, one entry per row n of the flattened batch (N = B·T);
 * null where the request did not ask.
 *
 * @param logp    log-probability of each next token [N]
 * @param entropy entropy of each next-token distribution [N]
 * @param values  scalar head at each position [N]
 * @param logits  logits divided by the temperature [N, V] (a copy the caller owns)
 */
public record HeadOutputs(double[] logp, double[] entropy, double[] values, INDArray logits) {}
