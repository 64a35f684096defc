package tests.support;

import common.cluster.Platform;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The user a pod's container runs as, once the platform has admitted the pod. On Kubernetes it is the pod's
 * {@code runAsUser}, else the image's {@code USER}. On OpenShift the restricted-v2 SCC admits only ids inside the
 * project's assigned range ({@code openshift.io/sa.scc.uid-range}, e.g. 1000680000/10000) and, when the pod sets
 * none, runs the container as the first id of that range in group 0.
 */
public record PodUser(Long uid, Long gid) {
    /** The start of a typical OpenShift project's uid and supplemental group range. */
    public static final long OPENSHIFT_RANGE_START = 1_000_680_000L;
    private static final long OPENSHIFT_RANGE_SIZE = 10_000L;

    public static PodUser admit(Platform platform, PodSpec pod) {
        PodSecurityContext podContext = pod.getSecurityContext();
        SecurityContext container = pod.getContainers().get(0).getSecurityContext();
        Long runAsUser = container != null && container.getRunAsUser() != null ? container.getRunAsUser()
                : podContext == null ? null : podContext.getRunAsUser();
        Long runAsGroup = container != null && container.getRunAsGroup() != null ? container.getRunAsGroup()
                : podContext == null ? null : podContext.getRunAsGroup();
        if (platform == Platform.OPENSHIFT) {
            List<String> refused = new ArrayList<>();
            if (runAsUser != null && !inRange(runAsUser)) {
                refused.add("runAsUser: Invalid value: " + runAsUser + ": must be in the ranges: ["
                        + OPENSHIFT_RANGE_START + ", " + (OPENSHIFT_RANGE_START + OPENSHIFT_RANGE_SIZE - 1) + "]");
            }
            Long fsGroup = podContext == null ? null : podContext.getFsGroup();
            if (fsGroup != null && !inRange(fsGroup)) {
                refused.add("fsGroup: Invalid value: " + fsGroup + ": " + fsGroup + " is not an allowed group");
            }
            if (!refused.isEmpty()) {
                throw new AssertionError("pods \"kafka-0\" is forbidden: unable to validate against any security "
                        + "context constraint: [provider \"restricted-v2\": " + String.join(", ", refused) + "]");
            }
            return new PodUser(runAsUser == null ? OPENSHIFT_RANGE_START : runAsUser,
                    runAsGroup == null ? 0L : runAsGroup);
        }
        return new PodUser(runAsUser == null ? ContainerFilesystem.IMAGE_UID : runAsUser,
                runAsGroup == null ? ContainerFilesystem.IMAGE_UID : runAsGroup);
    }

    private static boolean inRange(long id) {
        return id >= OPENSHIFT_RANGE_START && id < OPENSHIFT_RANGE_START + OPENSHIFT_RANGE_SIZE;
    }

    @Override
    public String toString() {
        return "uid " + uid + " gid " + gid;
    }
}
