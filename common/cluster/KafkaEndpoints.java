package common.cluster;


/**
 * Names and ports of the Kafka cluster this tool deploys: shared by the manifests and by the commands that connect.
 * Free of Kubernetes and Kafka classes, so that {@code get_connection} stays fast.
 */
public final class KafkaEndpoints {
    public static final String DEFAULT_NAMESPACE = "kafka";
    public static final String CLUSTER_NAME = "kafka";
    /** The ClusterIP Service clients use inside the cluster. */
    public static final String CLIENT_SERVICE = CLUSTER_NAME;
    /** The headless Service that gives each pod its own DNS name (brokers and controllers address each other by it). */
    public static final String HEADLESS_SERVICE = CLUSTER_NAME + "-headless";
    /** A secure cluster's replication listener (mutual TLS between brokers), apart from the clients'. */
    public static final int REPLICATION_PORT = 9091;
    public static final int CLIENT_PORT = 9092;
    public static final int CONTROLLER_PORT = 9093;
    /** Container port of the listener that advertises {@code localhost:<PORT_FORWARD_BASE + ordinal>}, used through port-forwards. */
    public static final int PORT_FORWARD_PORT = 9094;
    public static final int PORT_FORWARD_BASE = 19092;
    /** Kubernetes' default DNS domain; a cluster may be set up with another (kubelet --cluster-domain). */
    public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

    private KafkaEndpoints() {
    }

    /** The bootstrap address for clients running inside the cluster. */
    public static String clientBootstrap(String namespace, String clusterDomain) {
        return CLIENT_SERVICE + "." + namespace + ".svc." + clusterDomain + ":" + CLIENT_PORT;
    }

    /** The same Service from inside a pod: the pod's DNS search path completes it, whatever the cluster domain. */
    public static String podLocalBootstrap(String namespace) {
        return CLIENT_SERVICE + "." + namespace + ".svc:" + CLIENT_PORT;
    }

    public static String podName(int ordinal) {
        return CLUSTER_NAME + "-" + ordinal;
    }

    /** The ordinal in a StatefulSet pod's name ({@code kafka-2} is 2): also the node's KRaft and broker id. */
    public static int ordinalOf(String podName) {
        return Integer.parseInt(podName.substring(podName.lastIndexOf('-') + 1));
    }

    /** A pod's stable DNS name, through the headless Service. */
    public static String podHost(String namespace, String clusterDomain, int ordinal) {
        return podName(ordinal) + "." + podDomain(namespace, clusterDomain);
    }

    /** What follows the pod name in a pod's DNS name. */
    public static String podDomain(String namespace, String clusterDomain) {
        return HEADLESS_SERVICE + "." + namespace + ".svc." + clusterDomain;
    }
}
