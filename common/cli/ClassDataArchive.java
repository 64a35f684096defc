package common.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * JBang's {@code //CDS}: the first run after a build writes the class-data archive at JVM exit, of the classes that
 * run loaded. A failed run (a usage error, a cluster not there yet) loads few, and every later run would load the
 * rest from the jars until the next build. So a failed run marks the archive it writes, and the ./jbang wrapper
 * drops both at the next run, which writes it anew.
 */
final class ClassDataArchive {
    private static final String WRITE_OPTION = "-XX:ArchiveClassesAtExit=";
    /** Beside the archive; the wrapper looks for it. */
    private static final String FAILED_SUFFIX = ".failed";

    private ClassDataArchive() {
    }

    static void markIfFailed(int exitCode) {
        if (exitCode == 0) {
            return;
        }
        // The JVM's options as it read them (JBang may pass them in an @argfile, which the command line only names).
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith(WRITE_OPTION)) {
                try {
                    Files.writeString(Path.of(argument.substring(WRITE_OPTION.length()) + FAILED_SUFFIX), "");
                } catch (IOException | InvalidPathException e) {
                    // Best effort: the archive then stays as the run wrote it.
                }
            }
        }
    }
}
