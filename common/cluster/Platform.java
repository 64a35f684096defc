package common.cluster;

import java.util.Locale;

/**
 * The Kubernetes distribution, where it decides something about the pods: OpenShift assigns every pod a user and
 * group id from its project's range and admits no fixed ones.
 */
public enum Platform {
    KUBERNETES,
    OPENSHIFT;

    /** Served only by OpenShift: how deploy recognises it. */
    public static final String OPENSHIFT_API_GROUP = "security.openshift.io";

    /** Whether the pods may name their user, group and fsGroup (the image's appuser). */
    public boolean allowsFixedIds() {
        return this == KUBERNETES;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
