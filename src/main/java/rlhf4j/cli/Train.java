package rlhf4j.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine;
import rlhf4j.config.ConfigException;
import rlhf4j.io.DataException;

/**
 * The {@code ./train} command line: one subcommand per job. Errors become one line on stderr,
 * {@code error: ...}, and an exit code: 2 usage or config, 3 bad input data, 1 anything else;
 * the stack trace only with {@code --verbose}.
 */
@Command(name = "train", mixinStandardHelpOptions = true, version = "rlhf4j 0.1.0",
        description = "Pretrain, fine-tune, reward-model and align (PPO, DPO, GRPO) a GPT on the JVM.")
public final class Train {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int BAD_DATA = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this directly). */
    public static int run(String... args) {
        return run(new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, with error lines going to {@code err}. */
    public static int run(PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Train());
        StageCommands.commands().forEach(cli::addSubcommand);
        for (Object command : new Object[] {new PipelineCommand(), new SampleCommand(), new EvalCommand(),
                new BenchCommand()}) {
            cli.addSubcommand(command);
        }
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> report(e, cmd.getErr(), Arrays.asList(args).contains("--verbose")));
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("error: " + printable(e.getMessage()));
            e.getCommandLine().getErr().println("see: train " + e.getCommandLine().getCommandName() + " --help");
            return USAGE;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            return outOfMemory(err, e);
        }
    }

    /** A genuine OutOfMemoryError (past the checks made before a run starts) as one line with what to change. */
    static int outOfMemory(PrintWriter err, OutOfMemoryError e) {
        err.println("error: out of memory (" + (e.getMessage() == null ? "no details" : e.getMessage()) + "): lower "
                + "the batch_size or the model size, or give the JVM more with RLHF4J_JAVA_OPTS (-Xmx..., "
                + "-Dorg.bytedeco.javacpp.maxbytes=...)");
        err.flush();
        return FAILED;
    }

    static int report(Exception e, PrintWriter err, boolean verbose) {
        int code = exitCode(e);
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof UncheckedIOException && e.getCause() != null && e.getCause().getMessage() != null
                && !message.contains(e.getCause().getMessage())) {
            message = message + ": " + e.getCause().getMessage();
        }
        err.println("error: " + printable(message));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** Longest error line printed: a value echoed back (a 5 MB --set) is cut, with a count of what was left out. */
    static final int MAX_MESSAGE = 2000;

    /**
     * An error message as one safe terminal line: control characters (escape sequences a judge or a file could
     * carry, clearing the screen or ringing the bell) become '?', line breaks spaces, and past
     * {@value #MAX_MESSAGE} characters the rest is cut.
     */
    static String printable(String message) {
        if (message == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(message.length(), MAX_MESSAGE + 40));
        for (int i = 0; i < message.length() && sb.length() < MAX_MESSAGE; i++) {
            char c = message.charAt(i);
            sb.append(c == '\n' || c == '\r' || c == '\t' ? ' ' : Character.isISOControl(c) ? '?' : c);
        }
        if (message.length() > MAX_MESSAGE) {
            sb.append("... (").append(message.length() - MAX_MESSAGE).append(" more characters)");
        }
        return sb.toString();
    }

    static int exitCode(Throwable e) {
        if (e instanceof ConfigException) {
            return USAGE;
        }
        if (e instanceof DataException) {
            return BAD_DATA;
        }
        return FAILED;          // FetchException, NonFiniteException and everything else
    }
}
