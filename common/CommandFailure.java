package common;

/** An expected failure with a one-line message for the user: the command exits 1 and prints only the message. */
public class CommandFailure extends RuntimeException {
    public CommandFailure(String message) {
        super(message);
    }

    public CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
