package rlhf4j.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One prompt of the report's side-by-side table: the reference answer and each stage's answer
 * (keys pretrain, sft, ppo, dpo, grpo, for the stages that have a checkpoint; the pipeline generates them with the same sampling settings).
 *
 * @param prompt         the user prompt
 * @param reference      the reference answer ("" when there is none)
 * @param answersByStage stage name → generated answer, in column order
 */
public record SideBySide(String prompt, String reference, Map<String, String> answersByStage) {
    public SideBySide {
        reference = reference == null ? "" : reference;
        answersByStage = Collections.unmodifiableMap(new LinkedHashMap<>(answersByStage));
    }
}
