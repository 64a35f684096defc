package common.kube;

import common.cli.CommandFailure;
import common.cluster.KafkaEndpoints;
import common.cluster.KafkaManifests;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * One port-forward per broker, from {@code localhost:<base + ordinal>} to that pod's port-forward listener, which
 * advertises exactly that address: a client bootstrapping at {@code localhost:<base>} follows the metadata through
 * the forwards to every broker, which a single kubectl port-forward cannot give a multi-broker cluster. Like
 * kubectl, they listen on the loopback address only: the listener is plaintext and unauthenticated.
 */
public final class PortForwards implements AutoCloseable {
    private final List<LocalPortForward> forwards;
    private final int replicas;

    private PortForwards(List<LocalPortForward> forwards, int replicas) {
        this.forwards = forwards;
        this.replicas = replicas;
    }

    /**
     * Opens the forwards; those whose local ports are already held by forwards to this same cluster (another
     * command holding them, e.g. {@code get_connection --port-forward} in another terminal, maybe started when the
     * cluster had fewer brokers) are used as they are, and only the missing ones are opened.
     */
    public static PortForwards open(KubernetesClient client, KubernetesAccess access, String namespace,
            StatefulSet deployed, Map<String, Object> clientSecurity) {
        int replicas = deployed.getSpec().getReplicas();
        List<Integer> busy = IntStream.range(0, replicas).map(i -> KafkaEndpoints.PORT_FORWARD_BASE + i)
                .filter(port -> !free(port)).boxed().toList();
        List<LocalPortForward> opened = new ArrayList<>();
        int port = KafkaEndpoints.PORT_FORWARD_BASE;
        try {
            for (int ordinal = 0; ordinal < replicas; ordinal++) {
                port = KafkaEndpoints.PORT_FORWARD_BASE + ordinal;
                if (!busy.contains(port)) {
                    opened.add(client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal))
                            .portForward(KafkaEndpoints.PORT_FORWARD_PORT, InetAddress.getLoopbackAddress(), port));
                }
            }
            // Asked once the missing forwards are open: the metadata a held forward returns sends the client to
            // every broker, and one not forwarded yet would hold the answer up.
            String clusterId = KafkaManifests.environmentOf(deployed, "CLUSTER_ID");
            if (!busy.isEmpty() && (clusterId == null || !clusterId.equals(clusterIdAt(busy, clientSecurity)))) {
                new PortForwards(opened, replicas).close();
                throw new Busy("localhost:" + busy.get(0) + " is held by another program, not by a port-forward to "
                        + "this Kafka cluster: stop it, or pass --bootstrap-server");
            }
            return new PortForwards(opened, replicas);
        } catch (KubernetesClientException e) {
            new PortForwards(opened, replicas).close();
            throw access.failure("port-forwarding to the Kafka pods", e);
        } catch (Busy heldByAnother) {
            throw heldByAnother;
        } catch (RuntimeException e) {
            new PortForwards(opened, replicas).close();
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new CommandFailure("cannot listen on localhost:" + port + " for a port-forward: "
                    + message.lines().findFirst().orElse(""));
        }
    }

    /** The StatefulSet's desired replicas; fails in one line when Kafka is not deployed there. */
    public static int deployedReplicas(KubernetesClient client, KubernetesAccess access, String namespace) {
        return deployed(client, access, namespace).getSpec().getReplicas();
    }

    /** The deployed Kafka StatefulSet; fails in one line when there is none. */
    public static StatefulSet deployed(KubernetesClient client, KubernetesAccess access, String namespace) {
        try {
            StatefulSet statefulSet = client.apps().statefulSets().inNamespace(namespace)
                    .withName(KafkaEndpoints.CLUSTER_NAME).get();
            if (statefulSet == null) {
                throw new CommandFailure("Kafka is not deployed in namespace '" + namespace
                        + "' (no StatefulSet " + KafkaEndpoints.CLUSTER_NAME + "): run deploy first");
            }
            return statefulSet;
        } catch (KubernetesClientException e) {
            throw access.failure("reading StatefulSet " + KafkaEndpoints.CLUSTER_NAME, e);
        }
    }

    /** A local port the forwards need is taken by something else: the cluster was not reached at all. */
    public static final class Busy extends CommandFailure {
        Busy(String message) {
            super(message);
        }
    }

    /** Whether every forward is another process's: this one holds none. */
    public boolean reused() {
        return forwards.isEmpty();
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    /**
     * The id of the Kafka cluster that answers on any of these local ports (a forward to a broker that is down
     * answers nothing), or null when nothing Kafka answers there.
     */
    private static String clusterIdAt(List<Integer> ports, Map<String, Object> clientSecurity) {
        Properties props = new Properties();
        props.putAll(clientSecurity);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ports.stream().map(port -> "localhost:" + port)
                .collect(java.util.stream.Collectors.joining(",")));
        // Every connection through a forward is a new WebSocket through the API server: on a busy one (seen in CI
        // while two brokers were starting) the bootstrap and the node together took more than 4 s.
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, KafkaManifests.MANAGED_BY);
        try (Admin admin = Admin.create(props)) {
            return admin.describeCluster().clusterId().get(11, TimeUnit.SECONDS);
        } catch (Exception notKafka) {
            return null;
        }
    }

    /** Where a person's local clients bootstrap: the first broker's forward. */
    public String bootstrap() {
        return "localhost:" + KafkaEndpoints.PORT_FORWARD_BASE;
    }

    /** The forwards' local addresses in short: {@code localhost:19092-19094}. */
    public String describe() {
        return bootstrap() + (replicas > 1 ? "-" + (KafkaEndpoints.PORT_FORWARD_BASE + replicas - 1) : "");
    }

    /**
     * Every broker's forward, for this tool's own client: with only the first, a command would reach no broker at
     * all while kafka-0 is down, which is exactly when a repair or a check is needed.
     */
    public String bootstrapServers() {
        return IntStream.range(0, replicas).mapToObj(i -> "localhost:" + (KafkaEndpoints.PORT_FORWARD_BASE + i))
                .collect(java.util.stream.Collectors.joining(","));
    }

    @Override
    public void close() {
        for (LocalPortForward forward : forwards) {
            try {
                forward.close();
            } catch (Exception ignored) {
                // closing on the way out: nothing more to do
            }
        }
    }
}
