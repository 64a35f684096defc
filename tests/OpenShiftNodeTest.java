package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import common.cluster.Platform;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import tests.support.ContainerFilesystem;
import tests.support.KafkaNodes;
import tests.support.PodUser;

/**
 * OpenShift's restricted-v2 SCC: pods get an arbitrary uid from the project's range, in group 0, and fixed ids are
 * refused. The image's own folders belong to its appuser, so the pod must bring writable folders where the image
 * writes. Modelled by {@link PodUser} and {@link ContainerFilesystem}; a real node proves the start.
 */
class OpenShiftNodeTest {
    private final KafkaManifests openShift = new KafkaManifests(ClusterProfile.DEV, "kafka",
            KafkaManifests.DEFAULT_IMAGE, null, null).withPlatform(Platform.OPENSHIFT);

    @Test
    void thePodCarriesNoFixedUserOrGroupButStaysRestricted() {
        PodSecurityContext context = openShift.statefulSet().getSpec().getTemplate().getSpec().getSecurityContext();
        assertNull(context.getRunAsUser());
        assertNull(context.getRunAsGroup());
        assertNull(context.getFsGroup());
        assertTrue(context.getRunAsNonRoot());
        assertEquals("RuntimeDefault", context.getSeccompProfile().getType());
    }

    @Test
    void restrictedV2RefusesThePlainKubernetesPodWithItsFixedIds() {
        StatefulSet kubernetes = new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null).statefulSet();
        AssertionError refused = assertThrows(AssertionError.class,
                () -> PodUser.admit(Platform.OPENSHIFT, kubernetes.getSpec().getTemplate().getSpec()));
        assertTrue(refused.getMessage().contains("runAsUser: Invalid value: 1000"), refused.getMessage());
    }

    @Test
    void anArbitraryUidCannotWriteTheImageFoldersButCanWriteThePodsVolumes() throws Exception {
        StatefulSet statefulSet = openShift.statefulSet();
        PodUser user = PodUser.admit(Platform.OPENSHIFT, statefulSet.getSpec().getTemplate().getSpec());
        assertEquals(0L, user.gid());
        Path scratch = Files.createTempDirectory("fs-model");
        ContainerFilesystem pod = new ContainerFilesystem(statefulSet, scratch, 1, user.uid(), user.gid());
        for (String path : List.of("/opt/kafka/config", "/opt/kafka/logs", KafkaManifests.LOG_DIR)) {
            assertTrue(pod.writable(path), path);
        }
        // The same pod without its emptyDirs: the image's appuser folders, as the arbitrary uid sees them.
        statefulSet.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts()
                .removeIf(mount -> mount.getMountPath().startsWith("/opt/kafka"));
        ContainerFilesystem bare = new ContainerFilesystem(statefulSet, scratch, 2, user.uid(), user.gid());
        assertFalse(bare.writable("/opt/kafka/config"), "the image's configure step would exit");
        assertFalse(bare.writable("/opt/kafka/logs"));
    }

    @Test
    void aNodeStartsUnderAnArbitraryUidWithItsConfigOnAnEmptyDir() throws Exception {
        try (KafkaNodes nodes = KafkaNodes.start(openShift)) {
            Path config = nodes.hostPath(0, "/opt/kafka/config/server.properties");
            assertTrue(config.toString().contains("emptydir-config"), config.toString());
            assertTrue(Files.readString(config).contains("process.roles=broker,controller"));
            try (Admin admin = nodes.admin(nodes.bootstrapServers())) {
                admin.createTopics(List.of(new NewTopic("on.openshift", 1, (short) 1))).all()
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }
}
