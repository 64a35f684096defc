package common;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One port-forward per broker, from {@code localhost:<base + ordinal>} to that pod's port-forward listener, which
 * advertises exactly that address: a client bootstrapping at {@code localhost:<base>} follows the metadata through
 * the forwards to every broker, which a single kubectl port-forward cannot give a multi-broker cluster. Like
 * kubectl, they listen on the loopback address only: the listener is plaintext and unauthenticated.
 */
public final class PortForwards implements AutoCloseable {
    private final List<LocalPortForward> forwards;

    private PortForwards(List<LocalPortForward> forwards) {
        this.forwards = forwards;
    }

    public static PortForwards open(KubernetesClient client, KubernetesAccess access, String namespace) {
        int replicas = deployedReplicas(client, access, namespace);
        List<LocalPortForward> opened = new ArrayList<>();
        try {
            for (int ordinal = 0; ordinal < replicas; ordinal++) {
                opened.add(client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal))
                        .portForward(KafkaEndpoints.PORT_FORWARD_PORT, InetAddress.getLoopbackAddress(),
                                KafkaEndpoints.PORT_FORWARD_BASE + ordinal));
            }
            return new PortForwards(opened);
        } catch (KubernetesClientException e) {
            new PortForwards(opened).close();
            throw access.failure("port-forwarding to the Kafka pods", e);
        } catch (RuntimeException e) {
            new PortForwards(opened).close();
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new CommandFailure("cannot listen on localhost:" + (KafkaEndpoints.PORT_FORWARD_BASE + opened.size())
                    + " for a port-forward: " + message.lines().findFirst().orElse(""));
        }
    }

    /** The StatefulSet's desired replicas; fails in one line when Kafka is not deployed there. */
    public static int deployedReplicas(KubernetesClient client, KubernetesAccess access, String namespace) {
        try {
            var statefulSet = client.apps().statefulSets().inNamespace(namespace)
                    .withName(KafkaEndpoints.CLUSTER_NAME).get();
            if (statefulSet == null) {
                throw new CommandFailure("Kafka is not deployed in namespace '" + namespace
                        + "' (no StatefulSet " + KafkaEndpoints.CLUSTER_NAME + "): run deploy first");
            }
            return statefulSet.getSpec().getReplicas();
        } catch (KubernetesClientException e) {
            throw access.failure("reading StatefulSet " + KafkaEndpoints.CLUSTER_NAME, e);
        }
    }

    /** Where local clients bootstrap. */
    public String bootstrap() {
        return "localhost:" + KafkaEndpoints.PORT_FORWARD_BASE;
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
