package common.cli;


/**
 * An expected failure with a one-line message for the user: the command prints only the message and exits 1, or
 * the exit code given.
 */
public class CommandFailure extends RuntimeException {
    private final int exitCode;

    public CommandFailure(String message) {
        this(message, null, Cli.FAILURE);
    }

    public CommandFailure(String message, Throwable cause) {
        this(message, cause, Cli.FAILURE);
    }

    public CommandFailure(String message, Throwable cause, int exitCode) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
