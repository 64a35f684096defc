package common.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Runs a command with the tool's conventions: exit 0 success, 1 failure, 2 usage error; every error is one line on
 * stderr, prefixed with the command's name, never a stack trace (with {@code --json}, also one JSON object on
 * stdout); library logging off unless {@code --verbose}.
 */
public final class Cli {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    /** verify only: the check itself could not run (kubeconfig, API server), so neither healthy nor unhealthy. */
    public static final int UNCHECKED = 3;
    /** deploy --plan only: the plan changes the cluster (0: nothing to do), as terraform plan -detailed-exitcode. */
    public static final int CHANGES_PLANNED = 4;

    private Cli() {
    }

    public static int execute(Object command, String... args) {
        // Read before picocli parses: logging is configured before any library class loads, and a usage error
        // still needs to know its output format.
        List<String> arguments = List.of(args);
        Utf8Streams.install();
        configureLogging(arguments.contains("--verbose"));
        int exitCode = Utf8Streams.writeTo(commandLine(command, CommandLine.defaultFactory(),
                arguments.contains("--json"))).execute(args);
        ClassDataArchive.markIfFailed(exitCode);
        return exitCode;
    }

    /** A command line with the tool's error handling; {@code factory} makes its mixins (a host may supply its own). */
    public static CommandLine commandLine(Object command, CommandLine.IFactory factory, boolean json) {
        CommandLine commandLine = new CommandLine(command, factory);
        // Room for --cluster-domain=DOMAIN and --request-timeout=TIME on their descriptions' line.
        commandLine.setUsageHelpLongOptionsMaxWidth(24);
        commandLine.setParameterExceptionHandler((error, unused) ->
                report(error.getCommandLine(), error.getMessage() + " (see --help)", USAGE, json));
        commandLine.setExecutionExceptionHandler((error, failed, parseResult) ->
                report(failed, describe(error), error instanceof CommandFailure failure ? failure.exitCode() : FAILURE,
                        json));
        return commandLine;
    }

    private static int report(CommandLine command, String rawMessage, int exitCode, boolean json) {
        String message = TerminalText.clean(rawMessage).lines().findFirst().orElse("");
        command.getErr().println(command.getCommandName() + ": " + message);
        command.getErr().flush();
        if (json) {
            Map<String, Object> facts = Output.facts("error");
            facts.put("error", message);
            facts.put("exitCode", exitCode);
            command.getOut().println(Json.write(facts));
            command.getOut().flush();
        }
        return exitCode;
    }

    /** slf4j-simple reads these once, when the first logger is made: quiet unless asked, and never on stdout. */
    public static void configureLogging(boolean verbose) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "off");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }

    private static String describe(Exception error) {
        if (error instanceof CommandFailure) {
            return error.getMessage();
        }
        String message = error.getMessage();
        return error.getClass().getSimpleName() + (message == null ? "" : ": " + message.lines().findFirst().orElse(""));
    }
}
