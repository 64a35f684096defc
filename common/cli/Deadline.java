package common.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One deadline for a whole command, whatever its servers do. Per-request timeouts are not enough: the JDK HTTP
 * client's ends when the headers arrive, so a body that never comes (or trickles) is awaited forever. The work runs
 * on its own daemon thread; when the deadline passes, the command fails in one line and the thread is abandoned
 * (interrupted, and gone with the process).
 */
public final class Deadline {
    /** The longest deadline a command takes: far beyond any wait, far below what a Duration or a long can hold. */
    public static final Duration LONGEST = Duration.ofDays(1);
    /** Beyond a command's own timeout, for its last request and its report. */
    public static final Duration GRACE = Duration.ofSeconds(5);

    private Deadline() {
    }

    /** The deadline passed before the work finished. */
    public static final class Expired extends CommandFailure {
        Expired(String message) {
            super(message);
        }
    }

    public static <T> T run(String what, Duration limit, Callable<T> work) throws Exception {
        FutureTask<T> task = new FutureTask<>(work);
        Thread worker = new Thread(task, what);
        worker.setDaemon(true);
        worker.start();
        try {
            return task.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            worker.interrupt();
            throw new Expired(what + " did not finish within " + Math.round(limit.toMillis() / 1000.0)
                    + "s: the API server or Kafka stopped answering");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (InterruptedException e) {
            worker.interrupt();
            throw e;
        }
    }
}
