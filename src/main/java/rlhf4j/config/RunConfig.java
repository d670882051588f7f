package rlhf4j.config;

import static rlhf4j.config.Check.require;

/** The {@code run} section: which experiment this is and where its checkpoints go. */
public record RunConfig(
        @Doc("experiment name: stages write out_dir/name/stage/ (letters, digits, ., _, -)") String name,
        @Doc("folder that holds the runs' checkpoint folders") String outDir,
        @Doc("random seed for initialisation, data order and sampling") long seed) {

    public RunConfig {
        require(name != null && name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}"), "name",
                "\"%s\" is not a safe folder name (letters, digits, '.', '_', '-'; not starting with '.' or '-')", name);
        require(outDir != null && !outDir.isBlank(), "out_dir", "must not be empty");
        require(!outDir.startsWith("~"), "out_dir", "starts with '~', which nothing here expands (a shell expands it "
                + "only at the start of a word, not after '='): write the folder's full path instead of '%s'",
                outDir.length() > 80 ? outDir.substring(0, 80) + "..." : outDir);
    }

    public static RunConfig defaults() {
        return new RunConfig("tiny", "checkpoints", 1337);
    }
}
