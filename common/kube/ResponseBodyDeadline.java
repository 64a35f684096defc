package common.kube;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the body of every API response: the JDK HTTP client's request timeout ends when the headers arrive, so a
 * server that sends headers and then stalls would hold a request, and the command, until its whole deadline. A body
 * not read completely within the request timeout after its headers is cancelled, which fails that request alone.
 * Watches and followed logs stream for as long as they are open and are left alone.
 */
final class ResponseBodyDeadline implements Interceptor {
    static final String NAME = "response-body-deadline";
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "response-body-deadline");
        thread.setDaemon(true);
        return thread;
    });

    private final Duration limit;

    ResponseBodyDeadline(Duration limit) {
        this.limit = limit;
    }

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        String query = request.uri().getRawQuery();
        if (!(response.body() instanceof AsyncBody body)
                || query != null && (query.contains("watch=true") || query.contains("follow=true"))) {
            return;
        }
        var timer = TIMER.schedule(body::cancel, limit.toMillis(), TimeUnit.MILLISECONDS);
        body.done().whenComplete((done, failed) -> timer.cancel(false));
    }
}
