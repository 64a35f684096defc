package common.cli;

import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Progress of a long wait, on stderr: one line rewritten in place on a terminal; when piped, a plain line per
 * change with {@code --verbose}, and nothing otherwise (an agent pays for every line it reads).
 */
public final class Progress implements AutoCloseable {
    private final PrintWriter out;
    private final boolean terminal = System.console() != null;
    private final boolean shown;
    private final Consumer<String> listener;
    private String last = "";

    Progress(PrintWriter out, boolean verbose, Consumer<String> listener) {
        this.out = out;
        this.shown = terminal || verbose;
        this.listener = listener;
    }

    public synchronized void update(String rawStatus) {
        String status = TerminalText.clean(rawStatus);
        if (status.equals(last)) {
            return;
        }
        last = status;
        listener.accept(status);
        if (!shown) {
            return;
        }
        if (terminal) {
            out.print("\r\033[K" + status);
        } else {
            out.println(status);
        }
        out.flush();
    }

    /** Clears the live line, so the result that follows stands alone. */
    @Override
    public synchronized void close() {
        if (terminal && shown && !last.isEmpty()) {
            out.print("\r\033[K");
            out.flush();
        }
        last = "";
    }
}
