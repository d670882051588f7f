package rlhf4j.cli;

import picocli.CommandLine.Option;

/** {@code --verbose}: show stack traces with errors. */
final class VerboseOption {
    @Option(names = "--verbose", description = "print stack traces with errors")
    boolean verbose;
}
