package common.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What a command prints, and where: the result on the command's stdout, as one short line or, with {@code --json},
 * as one JSON object carrying the same facts; progress and diagnostics on its stderr, shown on a terminal or with
 * {@code --verbose}, silent otherwise. Everything goes through picocli's writers, so a host (the MCP server) can
 * capture it.
 */
public class Output {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--verbose", description = "Show progress and library logs on stderr even when piped.")
    boolean verbose;

    private final Consumer<String> progressListener;

    public Output() {
        this(status -> { });
    }

    /** @param progressListener also told every progress update (the MCP server forwards them to its client) */
    public Output(Consumer<String> progressListener) {
        this.progressListener = progressListener;
    }

    /** Facts for the JSON form, in a stable order: {@code status} first. */
    public static Map<String, Object> facts(String status) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("status", status);
        return facts;
    }

    public boolean json() {
        return json;
    }

    /** Prints the result: the line, or the facts as JSON. */
    public void result(String line, Map<String, Object> facts) {
        text(json ? Json.write(facts) : TerminalText.clean(line));
    }

    /** Prints a result that is already text (YAML, JSON) as it is. */
    public void text(String text) {
        PrintWriter out = command.commandLine().getOut();
        out.println(text);
        out.flush();
    }

    /** A diagnostic the user should see even on success. */
    public void warn(String message) {
        PrintWriter err = command.commandLine().getErr();
        err.println(command.name() + ": warning: " + TerminalText.clean(message));
        err.flush();
    }

    public Progress progress() {
        return new Progress(command.commandLine().getErr(), verbose, progressListener);
    }
}
