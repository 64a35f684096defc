package common.day2;

import common.cli.CommandFailure;
import common.cli.Progress;
import common.cluster.KafkaEndpoints;
import common.kafka.KafkaAccess;
import common.kube.KubernetesAccess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.ControllerIdNotRegisteredException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The brokers a shrink removes, after their partitions and voters moved: marked on the StatefulSet while Kafka may
 * still register them, and unregistered once their pods are gone.
 */
final class LeavingBrokers {
    private final KubernetesClient client;
    private final KubernetesAccess access;
    private final String namespace;
    private final long deadline;

    LeavingBrokers(KubernetesClient client, KubernetesAccess access, String namespace, long deadline) {
        this.client = client;
        this.access = access;
        this.namespace = namespace;
        this.deadline = deadline;
    }

    /** Sets {@link DeployPlanner#SHRINKING_FROM}, or removes it with 0. */
    void markShrinking(int from) {
        String value = from == 0 ? "null" : "\"" + from + "\"";
        try {
            client.apps().statefulSets().inNamespace(namespace).withName(KafkaEndpoints.CLUSTER_NAME)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\""
                            + DeployPlanner.SHRINKING_FROM + "\":" + value + "}}}");
        } catch (KubernetesClientException e) {
            throw access.failure("annotating StatefulSet " + KafkaEndpoints.CLUSTER_NAME, e);
        }
    }

    /**
     * The brokers {@code ids} that Kafka still registers are unregistered once the StatefulSet controller has
     * deleted their pods: otherwise the cluster would keep them as fenced brokers, forever offline; their controller
     * registrations go too.
     *
     * @return how many it unregistered
     */
    int unregister(List<Integer> ids, KafkaAccess brokers, Progress progress) {
        try {
            for (int ordinal : ids) {
                var pod = client.pods().inNamespace(namespace).withName(KafkaEndpoints.podName(ordinal));
                while (pod.get() != null) {
                    if (System.nanoTime() > deadline) {
                        throw new CommandFailure("timed out waiting for pod " + KafkaEndpoints.podName(ordinal)
                                + " to go");
                    }
                    progress.update("waiting for pod " + KafkaEndpoints.podName(ordinal) + " to go");
                    Thread.sleep(500);
                }
            }
            Set<Integer> registered = brokers.await(brokers.admin().describeCluster(new DescribeClusterOptions()
                    .includeFencedBrokers(true)).nodes(), "reading the brokers").stream().map(Node::id)
                    .collect(Collectors.toSet());
            int unregistered = 0;
            for (int ordinal : ids) {
                if (registered.contains(ordinal)) {
                    try {
                        brokers.await(brokers.admin().unregisterBroker(ordinal).all(),
                                "unregistering broker " + ordinal);
                        unregistered++;
                    } catch (CommandFailure failure) {
                        // Gone meanwhile (the controller expired it): nothing to do.
                        if (!(failure.getCause() instanceof BrokerIdNotRegisteredException)) {
                            throw failure;
                        }
                    }
                }
                unregisterController(brokers, ordinal);
            }
            return unregistered;
        } catch (KubernetesClientException e) {
            throw access.failure("reading the Kafka pods", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while the leaving brokers stop");
        }
    }

    /**
     * Every node is a controller too, registered with the feature levels it supports: a registration left behind
     * would block every later metadata.version upgrade. Kafka removes one only from metadata.version 4.4-IV2 on
     * (older clusters keep theirs) and never a voter's.
     */
    private static void unregisterController(KafkaAccess brokers, int ordinal) {
        try {
            brokers.await(brokers.admin().unregisterController(ordinal).all(), "unregistering controller " + ordinal);
        } catch (CommandFailure failure) {
            if (!(failure.getCause() instanceof ControllerIdNotRegisteredException
                    || failure.getCause() instanceof UnsupportedVersionException)) {
                throw failure;
            }
        }
    }
}
