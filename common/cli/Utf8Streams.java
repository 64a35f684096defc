package common.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * The tool writes UTF-8 whatever the locale: under {@code LANG=C} a JDK 17 writes {@code ✓} as {@code ?} (its
 * streams take the locale's charset), and an agent must see the same bytes on every machine.
 */
public final class Utf8Streams {
    private Utf8Streams() {
    }

    /** Makes {@code System.out} and {@code System.err} UTF-8; call first in a process's {@code main}. */
    public static void install() {
        System.setOut(stream(FileDescriptor.out));
        System.setErr(stream(FileDescriptor.err));
    }

    /** Gives a command line UTF-8 writers over the process's streams. */
    public static CommandLine writeTo(CommandLine commandLine) {
        commandLine.setOut(writer(System.out));
        commandLine.setErr(writer(System.err));
        return commandLine;
    }

    private static PrintStream stream(FileDescriptor descriptor) {
        return new PrintStream(new BufferedOutputStream(new FileOutputStream(descriptor), 8192), true,
                StandardCharsets.UTF_8);
    }

    private static PrintWriter writer(PrintStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }
}
