package common.kafka;

import common.cli.CommandFailure;
import common.cluster.KafkaManifests;
import common.kube.AdminCredentials;
import common.kube.KubernetesAccess;
import common.kube.PortForwards;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;

/**
 * A Kafka admin connection with one deadline for everything it does. Reaches Kafka at a given bootstrap address,
 * through the Service DNS name inside a pod, or through one port-forward per broker to its port-forward listener
 * (which advertises {@code localhost:<base + ordinal>}, so clients follow the metadata through the forwards).
 */
public final class KafkaAccess implements AutoCloseable {
    /** The bootstrap servers as messages name them. */
    private final String where;
    private final Duration timeout;
    private final long deadline;
    /** Closed with this access; null when Kafka is reached directly. */
    private final PortForwards forwards;
    private final Admin admin;
    private final String bootstrap;
    private final Map<String, ?> clientSecurity;

    private KafkaAccess(String bootstrap, String where, Duration timeout, PortForwards forwards,
            Map<String, ?> clientSecurity) {
        this.where = where;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
        this.forwards = forwards;
        this.bootstrap = bootstrap;
        this.clientSecurity = clientSecurity;
        Properties props = new Properties();
        props.putAll(clientSecurity);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(millis, 10_000));
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, 2_000);
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, 5_000);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, KafkaManifests.MANAGED_BY);
        try {
            this.admin = Admin.create(props);
        } catch (KafkaException e) {
            closeForwards();
            throw new CommandFailure("cannot use bootstrap server '" + bootstrap + "': " + firstLine(e));
        }
    }

    /**
     * Kafka at an address the user gave (a host that does not resolve is named), signed in with
     * {@code clientSecurity} (a secure cluster's settings; empty for an open one).
     */
    public static KafkaAccess direct(String bootstrap, Duration timeout, Map<String, ?> clientSecurity) {
        List<String> unresolved = new ArrayList<>();
        for (String address : bootstrap.split(",")) {
            String host = address.trim().substring(0, address.trim().lastIndexOf(':')).replaceAll("^\\[|\\]$", "");
            try {
                InetAddress.getAllByName(host);
            } catch (UnknownHostException e) {
                unresolved.add(host);
            }
        }
        if (unresolved.size() == bootstrap.split(",").length) {
            throw new CommandFailure("cannot resolve the host of --bootstrap-server: " + String.join(", ", unresolved));
        }
        return new KafkaAccess(bootstrap, bootstrap, timeout, null, clientSecurity);
    }

    /** Inside a pod of the cluster: the Service's DNS name resolves. */
    public static boolean insideKubernetes() {
        return System.getenv("KUBERNETES_SERVICE_HOST") != null;
    }

    /**
     * From outside the cluster, through {@link PortForwards}; they close with this access. A secure cluster's
     * admin credentials are read through the Kubernetes API.
     */
    public static KafkaAccess portForwarded(KubernetesClient client, KubernetesAccess access, String namespace,
            Duration timeout) {
        var deployed = PortForwards.deployed(client, access, namespace);
        Map<String, Object> credentials = AdminCredentials.read(client, access, namespace, deployed);
        PortForwards forwards = PortForwards.open(client, access, namespace, deployed, credentials);
        return new KafkaAccess(forwards.bootstrapServers(), forwards.describe(), timeout, forwards, credentials);
    }

    public String where() {
        return where;
    }

    public Admin admin() {
        return admin;
    }

    /** How this client reaches Kafka: PLAINTEXT, or what it signs in with (SASL_SSL for a secure cluster). */
    public String securityProtocol() {
        Object protocol = clientSecurity.get("security.protocol");
        return protocol == null ? "PLAINTEXT" : protocol.toString();
    }

    /** The CA certificates (PEM) this client trusts the brokers by, when it was given them inline; else null. */
    public String trustedCertificates() {
        Object certificates = clientSecurity.get("ssl.truststore.certificates");
        return certificates == null ? null : certificates.toString();
    }

    /** The first bootstrap address, host:port. */
    public String firstAddress() {
        return bootstrap.split(",")[0].trim();
    }

    /** Waits for a Kafka answer within what is left of the deadline; failures become one line. */
    public <T> T await(KafkaFuture<T> future, String what) {
        long left = Math.max(0, deadline - System.nanoTime());
        try {
            return future.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new CommandFailure(what + ": no answer from Kafka at " + where + " within "
                    + Math.round(timeout.toMillis() / 1000.0) + "s");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw new CommandFailure(what + ": no answer from Kafka at " + where + " within "
                        + Math.round(timeout.toMillis() / 1000.0) + "s", cause);
            }
            throw new CommandFailure(what + " failed at " + where + ": " + firstLine(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(what + ": interrupted");
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }

    /** Closes without waiting for requests still under way: they fail. */
    public void abort() {
        close(Duration.ZERO);
    }

    private void close(Duration wait) {
        admin.close(wait);
        closeForwards();
    }

    private void closeForwards() {
        if (forwards != null) {
            forwards.close();
        }
    }

    private static String firstLine(Throwable error) {
        // A forwarded request that the controller dropped comes back with a blank message: name the error then.
        String message = error.getMessage() == null || error.getMessage().isBlank()
                ? error.getClass().getSimpleName() : error.getMessage();
        return message.lines().findFirst().orElse("");
    }
}
