package common.cli;

/**
 * Ends the process with a command's exit code, at once. Java 17's HttpClient (fabric8's transport) has no close: its
 * selector thread stays blocked in native code after the client is closed, and the JVM's exit waits up to 300 ms for
 * threads in native code (measured: 0.33 s of a 1.4 s deploy). An interrupt ends that thread's loop.
 */
public final class ProcessExit {
    private ProcessExit() {
    }

    public static void now(int exitCode) {
        Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("HttpClient-")
                        && thread.getName().endsWith("-SelectorManager"))
                .forEach(Thread::interrupt);
        System.exit(exitCode);
    }
}
