package rlhf4j.data;

import java.nio.file.Path;

/**
 * The registry clients a fetch may run, by command name, and Maven's local repository ({@code null} means Maven's
 * default, {@code ~/.m2/repository}). {@link #system()} reads the usual environment; tests substitute their own.
 */
public record Clients(String npm, String mvn, String tar, Path mavenRepoLocal) {
    public static final String NPM_HINT = "install Node.js and npm (e.g. apt-get install -y npm)";
    static final String MVN_HINT = "install Maven (e.g. apt-get install -y maven)";
    public static final String TAR_HINT = "install tar (e.g. apt-get install -y tar)";

    /** npm, mvn and tar from the PATH; {@code -Dmaven.repo.local} when set. */
    public static Clients system() {
        String repo = System.getProperty("maven.repo.local");
        Path local = repo == null || repo.isBlank() ? null : Path.of(repo);
        return new Clients(Command.executable("npm"), Command.executable("mvn"), "tar", local);
    }

    /** Where Maven keeps downloaded artifacts. */
    public Path mavenRepository() {
        return mavenRepoLocal != null ? mavenRepoLocal
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }
}
