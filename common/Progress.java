package common;

import java.io.PrintStream;

/**
 * Progress of a long wait, on stderr: one line rewritten in place on a terminal, a plain line per change when
 * piped, so stdout carries only the result.
 */
public final class Progress implements AutoCloseable {
    private final PrintStream out = System.err;
    private final boolean terminal = System.console() != null;
    private String last = "";

    public synchronized void update(String status) {
        if (status.equals(last)) {
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

    @Override
    public synchronized void close() {
        if (terminal && !last.isEmpty()) {
            out.print("\r\033[K");
            out.flush();
        }
    }
}
