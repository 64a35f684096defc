package common.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Kafka's state (without the log directories) read on another thread, started before the caller knows that it
 * will need it: deploy reads Kafka while it reads Kubernetes when Kafka is reached directly, since the two wait on
 * different servers. Closing it ends the connection whether or not the read was used or has finished.
 */
public final class KafkaStateInBackground implements AutoCloseable {
    /** One daemon thread: a connection nobody waits for never holds up the command's end. */
    private final ExecutorService thread = Executors.newSingleThreadExecutor(runnable -> {
        Thread daemon = new Thread(runnable, "kafka-read");
        daemon.setDaemon(true);
        return daemon;
    });
    private final CompletableFuture<KafkaAccess> connected;
    private final CompletableFuture<KafkaState> state;

    private KafkaStateInBackground(Supplier<KafkaAccess> connect) {
        connected = CompletableFuture.supplyAsync(connect, thread);
        state = connected.thenApplyAsync(kafka -> KafkaState.read(kafka, false), thread);
    }

    public static KafkaStateInBackground start(Supplier<KafkaAccess> connect) {
        return new KafkaStateInBackground(connect);
    }

    /** The state, or the failure the read ended with. */
    public KafkaState join() {
        try {
            return state.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException failure ? failure : e;
        }
    }

    /**
     * Ends the connection, abandoning a read still under way: now when connected (a client thread left running
     * would hold up the process's exit), else as soon as it is.
     */
    @Override
    public void close() {
        connected.thenAccept(KafkaAccess::abort);
    }
}
