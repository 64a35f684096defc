package common;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * What a command prints, and where: the result on stdout, as one short line or, with {@code --json}, as one JSON
 * object carrying the same facts; progress and diagnostics on stderr, shown on a terminal or with
 * {@code --verbose}, silent otherwise.
 */
public class Output {
    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--verbose", description = "Show progress and library logs on stderr even when piped.")
    boolean verbose;

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
        System.out.println(json ? Json.write(facts) : line);
    }

    public Progress progress() {
        return new Progress(verbose);
    }
}
