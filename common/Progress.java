package common;

import java.io.PrintStream;

/**
 * Progress of a long wait, on stderr: one line rewritten in place on a terminal; when piped, a plain line per
 * change with {@code --verbose}, and nothing otherwise (an agent pays for every line it reads).
 */
public final class Progress implements AutoCloseable {
    private final PrintStream out = System.err;
    private final boolean terminal = System.console() != null;
    private final boolean shown;
    private String last = "";

    Progress(boolean verbose) {
        this.shown = terminal || verbose;
    }

    public synchronized void update(String status) {
        if (!shown || status.equals(last)) {
            return;
        }
        last = status;
        if (terminal) {
            out.print("\r\033[K" + status);
            out.flush();
        } else {
            out.println(status);
        }
    }

    /** Clears the live line, so the result that follows stands alone. */
    @Override
    public synchronized void close() {
        if (terminal && !last.isEmpty()) {
            out.print("\r\033[K");
            out.flush();
            last = "";
        }
    }
}
