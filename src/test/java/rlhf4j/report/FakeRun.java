package rlhf4j.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Hand-written stage folders for the report tests: small metrics.csv, trainer_state.json and test_metrics.json. */
final class FakeRun {
    static final String PRETRAIN_CSV = """
            step,loss,lr,grad_norm,tokens_per_s,elapsed_s,skipped,val_loss,val_bpb
            1,6.9,0.0003,1.5,1000.5,0.5,0,,
            2,6.5,0.0006,1.4,1001,1.0,0,,
            3,6.1,0.0009,1.3,1002,1.5,0,5.987654321,2.718281828459045
            4,5.7,0.0012,1.2,1003,2.0,0,,
            5,5.2,0.0015,1.1,1004,2.5,0,,
            6,4.9,0.0015,1.0,1005,3.0,0,4.123456789012345,1.414213562373095
            7,4.8,0.0014,0.9,1006,3.5,0,,
            """;
    static final String SFT_CSV = """
            step,loss,lr,grad_norm,tokens_per_s,elapsed_s,skipped,val_loss,exact_match,chrf
            1,3.2,0.0001,1.1,500,0.2,0,,,
            2,2.9,0.0001,1.0,500,0.4,0,2.75,0.125,31.5
            3,2.5,0.0001,0.9,500,0.6,0,,,
            4,2.2,0.0001,0.8,500,0.8,0,2.25,0.375,48.25
            """;
    static final String SFT_TEST = """
            {"file": "data/grammar/test.jsonl", "prompts": 64, "decoding": "beam-4", "exact_match": 0.328125, "chrf": 51.23456789,
             "mean_response_tokens": 17.984375}
            """;
    static final String RM_CSV = """
            step,loss,lr,grad_norm,tokens_per_s,elapsed_s,skipped,accuracy,margin,chosen_mean,chosen_std,rejected_mean,rejected_std,val_loss,val_accuracy,val_margin,val_chosen_mean,val_chosen_std,val_rejected_mean,val_rejected_std,train_loss,train_accuracy,train_margin,train_chosen_mean,train_chosen_std,train_rejected_mean,train_rejected_std
            1,0.69,0.0001,0.5,800,0.1,0,0.5,0.01,0.1,1,0.09,1,,,,,,,,,,,,,,
            2,0.6,0.0001,0.5,800,0.2,0,0.75,0.3,0.2,1,-0.1,1,0.65,0.6,0.2,0.1,1,-0.1,1,0.6,0.7,0.3,0.2,1,-0.1,1
            3,0.5,0.0001,0.5,800,0.3,0,0.8,0.5,0.3,1,-0.2,1,,,,,,,,,,,,,,
            4,0.45,0.0001,0.5,800,0.4,0,0.85,0.6,0.4,1,-0.2,1,0.52,0.7125,0.55,0.3,1,-0.25,1,0.44,0.8,0.6,0.3,1,-0.3,1
            """;
    static final String RM_TEST = """
            {"train": {"pairs": 400, "loss": 0.41, "accuracy": 0.8125, "margin": 0.9},
             "val": {"pairs": 40, "loss": 0.52, "accuracy": 0.725, "margin": 0.6},
             "test_file": "data/grammar/pairs_test.jsonl",
             "test": {"pairs": 50, "loss": 0.55, "accuracy": 0.6987654321, "margin": 0.5},
             "units": "loss and accuracy from raw scores; margin and reward statistics normalised"}
            """;
    static final String PPO_CSV = """
            step,loss,lr,grad_norm,tokens_per_s,elapsed_s,skipped,reward_mean,reward_std,kl,kl_coef,policy_loss,value_loss,entropy,clipfrac,approx_kl,response_length,advantage_mean,value_explained_variance,rollout_s,update_s,rollout_share,val_reward,val_kl,val_exact_match,val_chrf,val_response_length
            1,0.1,1e-5,0.3,100,1,0,-0.5,1,0.0,0.05,0.1,0.2,2.0,0.0,0.0,12,0,0.1,0.5,0.5,0.5,,,,,
            2,0.1,1e-5,0.3,100,2,0,-0.2,1,0.01,0.051,0.1,0.2,2.0,0.1,0.01,12,0,0.2,0.5,0.5,0.5,-0.3,0.008,0.3,50.5,12.5
            3,0.1,1e-5,0.3,100,3,0,0.1,1,0.03,0.052,0.1,0.2,1.9,0.1,0.01,11,0,0.3,0.5,0.5,0.5,,,,,
            4,0.1,1e-5,0.3,100,4,0,0.3,1,0.05,0.049,0.1,0.2,1.8,0.1,0.01,11,0,0.4,0.5,0.5,0.5,0.25,0.047,0.34,52.75,11.25
            """;
    static final String PPO_TEST = """
            {"file": "data/grammar/prompts_test.jsonl", "prompts": 32,
             "sft": {"reward_mean": -0.4123, "kl": 0.0, "exact_match": 0.3125, "chrf": 49.875, "mean_response_tokens": 12.5},
             "ppo": {"reward_mean": 0.3456789, "kl": 0.0521, "exact_match": 0.34375, "chrf": 53.0625, "mean_response_tokens": 11.75},
             "gold": {"prompts": 32, "measure": "chrF and exact match",
               "systems": {"sft greedy": {"chrf": {"value": 49.875, "ci95": [45.5, 54.25]},
                                          "exact_match": {"value": 0.3125, "ci95": [0.15625, 0.46875]}},
                           "ppo greedy": {"chrf": {"value": 53.0625, "ci95": [48.0, 58.125]},
                                          "exact_match": {"value": 0.34375, "ci95": [0.1875, 0.5]}}},
               "differences": {"ppo greedy - sft greedy": {"chrf": {"value": 3.1875, "ci95": [0.5, 5.875]},
                                          "exact_match": {"value": 0.03125, "ci95": [-0.0625, 0.125]}}}}}
            """;
    static final String LABEL_MANIFEST = """
            {"labeler": "reference", "labeler_note": "synthetic: chrF against the reference",
             "sampling": {"num_candidates": 3, "temperature": 1.0},
             "counts": {"prompts": 10, "candidates_sampled": 30, "duplicate_candidates_dropped": 4, "tasks": 9},
             "judgements": {"judged": 9, "skipped": 0, "pairs": 25}}
            """;
    static final String LABEL_RANKING = "{\"id\": \"line-1\", \"prompt\": [{\"role\": \"user\", \"content\": "
            + "\"Correct this sentence: He go <home>.\"}], \"responses\": [\"He go home.\", \"He goes home.\", \"Go.\"], "
            + "\"scores\": [80.5, 100, 12.25], \"reference\": \"He goes home.\", \"labeler\": \"reference\"}\n";

    private FakeRun() {}

    /** The stages a fake run can hold: the pipeline's default ones. */
    static final List<String> STAGES = List.of("pretrain", "sft", "label", "rm", "ppo");

    /** Writes the stages named (of {@link #STAGES}) under {@code runDir}, each finished. */
    static void write(Path runDir, List<String> stages) throws IOException {
        for (String stage : stages) {
            switch (stage) {
                case "pretrain" -> stage(runDir, stage, PRETRAIN_CSV, null, 7, 7, 3.75);
                case "sft" -> stage(runDir, stage, SFT_CSV, SFT_TEST, 4, 4, 0.9);
                case "rm" -> stage(runDir, stage, RM_CSV, RM_TEST, 4, 4, 0.45);
                case "label" -> label(runDir);
                case "ppo" -> stage(runDir, stage, PPO_CSV, PPO_TEST, 4, 4, 4.5);
                default -> throw new IllegalArgumentException(stage);
            }
        }
    }

    /** A finished label stage: its manifest, one ranking, its trainer_state.json (no metrics: it trains nothing). */
    static void label(Path runDir) throws IOException {
        Path dir = Files.createDirectories(runDir.resolve("label"));
        Files.writeString(dir.resolve("manifest.json"), LABEL_MANIFEST, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("rankings.jsonl"), LABEL_RANKING, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("trainer_state.json"), "{\"stage\": \"label\", \"finished\": true, "
                + "\"seed\": 1337}\n", StandardCharsets.UTF_8);
    }

    static Path stage(Path runDir, String stage, String csv, String testJson, int step, int maxSteps, double elapsed)
            throws IOException {
        Path dir = Files.createDirectories(runDir.resolve(stage));
        Files.writeString(dir.resolve("metrics.csv"), csv, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("trainer_state.json"), "{\"stage\": \"" + stage + "\", \"step\": " + step
                + ", \"max_steps\": " + maxSteps + ", \"finished\": " + (step == maxSteps) + ", \"seed\": 1337, "
                + "\"elapsed_s\": " + elapsed + ", \"config\": {\"run\": {\"name\": \"tiny\"}}}\n",
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("samples.txt"), "=== step 2 ===\nold sample\n=== step " + step
                + " ===\nprompt → answer <i>&amp; " + stage + "\n", StandardCharsets.UTF_8);
        if (testJson != null) {
            Files.writeString(dir.resolve("test_metrics.json"), testJson, StandardCharsets.UTF_8);
        }
        return dir;
    }
}
