package common;

import picocli.CommandLine;

/**
 * Runs a command with the tool's conventions: exit 0 success, 1 failure, 2 usage error; every error is one line on
 * stderr, prefixed with the command's name, never a stack trace.
 */
public final class Cli {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    private Cli() {
    }

    public static int execute(Object command, String... args) {
        CommandLine commandLine = new CommandLine(command);
        String name = commandLine.getCommandName();
        commandLine.setParameterExceptionHandler((error, arguments) -> {
            error.getCommandLine().getErr().println(name + ": " + error.getMessage() + " (see --help)");
            return USAGE;
        });
        commandLine.setExecutionExceptionHandler((error, failed, parseResult) -> {
            failed.getErr().println(name + ": " + describe(error));
            return FAILURE;
        });
        return commandLine.execute(args);
    }

    private static String describe(Exception error) {
        if (error instanceof CommandFailure) {
            return error.getMessage();
        }
        String message = error.getMessage();
        return error.getClass().getSimpleName() + (message == null ? "" : ": " + message.lines().findFirst().orElse(""));
    }
}
