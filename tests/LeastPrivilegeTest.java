package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.AccessRules;
import common.cluster.KafkaManifests;
import common.day2.FormattedBy;
import common.kafka.KafkaReleases;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tests.support.ApiServer;
import tests.support.KafkaNodes;
import tests.support.RbacPolicy;
import tests.support.ResourceRequest;
import tests.support.Scripts;

/**
 * The RBAC that {@code deploy --print-rbac} ships is enough, and no more than needed: the stand-in API server checks
 * every request of the scripts against it as Kubernetes' RBAC authorizer would, records them, and refuses the rest
 * with the API server's own 403 message.
 */
class LeastPrivilegeTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();
    private static final String USER = "learnflow-dev";

    private static Scripts.Result run(String script, String... args) {
        return Scripts.run(api.environment(), Duration.ofMinutes(3), script, args);
    }

    private static void grant(HasMetadata... roles) {
        api.enforce(new RbacPolicy(USER, List.of(roles)));
    }

    private static void namespaceExists(String name) {
        api.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of("team", "learnflow")).endMetadata().build()).create();
    }

    private static List<ResourceRequest> refused() {
        return api.requests().stream().filter(entry -> !entry.getValue()).map(Map.Entry::getKey).toList();
    }

    private static List<String> made() {
        return api.requests().stream().map(entry -> entry.getKey().toString()).distinct().toList();
    }

    @Test
    void deployIntoAGivenNamespaceNeedsOnlyTheDeployRoleAndLeavesTheNamespaceAlone() {
        namespaceExists("given");
        grant(AccessRules.deployRole("given"));
        Scripts.Result first = run("deploy.java", "prod", "-n", "given", "--no-wait");
        assertEquals(0, first.exitCode(), first + "\nrequests: " + made());
        Scripts.Result second = run("deploy.java", "prod", "-n", "given", "--no-wait");
        assertEquals(0, second.exitCode(), second.toString());
        assertTrue(second.stdout().startsWith("deploy prod: 6 unchanged"), second.stdout());
        assertEquals(List.of(), refused());
        assertTrue(made().stream().noneMatch(request -> request.contains("namespaces") && !request.startsWith("get")),
                "an existing namespace is only read: " + made());
        assertEquals(Map.of("team", "learnflow"), api.client().namespaces().withName("given").get().getMetadata()
                .getLabels());
    }

    @Test
    void aSecureDeployMakesItsSecretsUnderTheDeployRole() {
        namespaceExists("secure");
        grant(AccessRules.deployRole("secure"));
        Scripts.Result first = run("deploy.java", "prod", "-n", "secure", "--security", "tls", "--no-wait");
        assertEquals(0, first.exitCode(), first + "\nrequests: " + made());
        assertEquals(List.of(), refused());
        assertTrue(first.stdout().contains("; 5 Secrets made;"), first.stdout());
        Scripts.Result kept = run("deploy.java", "-n", "secure", "--delete");
        assertTrue(kept.stdout().contains("; kept 5 Secrets"), kept.stdout());
        Scripts.Result deleted = run("deploy.java", "-n", "secure", "--delete", "--delete-data");
        assertEquals(0, deleted.exitCode(), deleted.toString());
        assertTrue(deleted.stdout().contains("; deleted 5 Secrets"), deleted.stdout());
        assertEquals(List.of(), api.client().secrets().inNamespace("secure").list().getItems());
        assertEquals(List.of(), refused());
    }

    /**
     * A secure cluster whose client port is narrowed to namespaces keeps a copy of the LearnFlow user's Secret and
     * the CA certificate in each (pods reference Secrets of their own namespace only), under the printed copy Role,
     * and copies them again when their source changed, also when a later deploy does not repeat the namespaces.
     */
    @Test
    void aNarrowedSecureClusterKeepsCopiesOfTheUsersSecretInItsClientNamespaces() {
        namespaceExists("shop");
        namespaceExists("storefront");
        grant(AccessRules.deployRole("shop"), AccessRules.copyRole("storefront"));
        Scripts.Result first = run("deploy.java", "prod", "-n", "shop", "--client-namespaces", "storefront",
                "--no-wait");
        assertEquals(0, first.exitCode(), first + "\nrequests: " + made());
        assertEquals(List.of(), refused());
        for (String name : List.of("learnflow", "kafka-cluster-ca-cert")) {
            assertEquals(KafkaNodes.decoded(api.client().secrets().inNamespace("shop").withName(name).get()),
                    KafkaNodes.decoded(api.client().secrets().inNamespace("storefront").withName(name).get()), name);
        }
        api.client().secrets().inNamespace("shop").withName("learnflow").edit(secret -> new SecretBuilder(secret)
                .withStringData(Map.of("password", "rotated", "sasl.jaas.config", "rotated")).build());
        Scripts.Result planned = run("deploy.java", "prod", "-n", "shop", "--plan", "--no-wait");
        assertEquals(4, planned.exitCode(), planned.toString());
        assertTrue(planned.stdout().contains("copy Secrets learnflow, kafka-cluster-ca-cert into namespace "
                + "storefront"), planned.stdout());
        assertEquals(0, run("deploy.java", "prod", "-n", "shop", "--no-wait").exitCode());
        assertEquals("rotated", KafkaNodes.decoded(api.client().secrets().inNamespace("storefront")
                .withName("learnflow").get()).get("password"));
        assertEquals(List.of(), refused());
        Scripts.Result rbac = run("deploy.java", "prod", "--print-rbac", "-n", "shop", "--client-namespaces",
                "storefront", "--json");
        assertTrue(rbac.stdout().contains("\"name\":\"kafka-k8s-setup-copy-credentials\",\"namespace\":"
                + "\"storefront\""), rbac.stdout());
    }

    @Test
    void creatingTheNamespaceIsTheOneClusterWideRight() {
        grant(AccessRules.deployRole("fresh"));
        Scripts.Result refusedRun = run("deploy.java", "-n", "fresh", "--no-wait");
        assertEquals(1, refusedRun.exitCode(), refusedRun.toString());
        assertTrue(refusedRun.stderr().contains("403 Forbidden: namespaces is forbidden: User \"" + USER
                + "\" cannot create resource \"namespaces\" in API group \"\" at the cluster scope"),
                refusedRun.stderr());
        assertNull(api.client().apps().statefulSets().inNamespace("fresh").withName("kafka").get(),
                "nothing applied after the refusal");

        grant(AccessRules.deployRole("fresh"), AccessRules.namespaceCreator());
        Scripts.Result granted = run("deploy.java", "-n", "fresh", "--no-wait");
        assertEquals(0, granted.exitCode(), granted + "\nrequests: " + made());
        assertEquals(List.of(), refused());
    }

    @Test
    void recreateDeletesExactlyItsOwnClaimsAndWhatTheNewProfileDoesNotRender() {
        namespaceExists("shrink");
        grant(AccessRules.deployRole("shrink"));
        assertEquals(0, run("deploy.java", "prod", "-n", "shrink", "--no-wait").exitCode());
        // The test plays the StatefulSet controller (one claim per pod) and another team (a claim of its own that
        // happens to carry the same app label).
        for (String claim : List.of("data-kafka-0", "data-kafka-1", "data-kafka-2")) {
            createClaim("shrink", claim, Map.of("app", "kafka", "app.kubernetes.io/managed-by", "kafka-k8s-setup"));
        }
        createClaim("shrink", "postgres-data", Map.of("app", "kafka"));

        // A volume size change cannot be applied in place (a shrink alone can, and would keep the data).
        Scripts.Result dev = run("deploy.java", "dev", "-n", "shrink", "--no-wait", "--storage-size", "2Gi",
                "--recreate");
        assertEquals(0, dev.exitCode(), dev + "\nrequests: " + made());
        assertEquals(List.of(), refused());
        assertEquals(List.of("postgres-data"), api.client().persistentVolumeClaims().inNamespace("shrink").list()
                .getItems().stream().map(claim -> claim.getMetadata().getName()).collect(Collectors.toList()));
        assertNull(api.client().resources(PodDisruptionBudget.class).inNamespace("shrink").withName("kafka").get(),
                "dev renders no disruption budget: the prod one is deleted");
        assertNull(api.client().resources(NetworkPolicy.class).inNamespace("shrink").withName("kafka").get(),
                "nor a NetworkPolicy");
        assertTrue(dev.stdout().contains("2 deleted"), dev.stdout());
        assertEquals(1, api.client().apps().statefulSets().inNamespace("shrink").withName("kafka").get().getSpec()
                .getReplicas());
    }

    @Test
    void verifyNeedsOnlyTheUseRoleAndARefusalNamesTheVerbAndResource() {
        namespaceExists("used");
        api.enforce(null);
        assertEquals(0, run("deploy.java", "prod", "-n", "used", "--no-wait").exitCode());
        for (int i = 0; i < 3; i++) {
            api.putPod("used", "kafka-" + i, ApiServer.ready());
        }
        grant(AccessRules.useRole("used"));
        // No broker stands behind the stand-in's port-forwards: verify gets as far as Kafka, then times out.
        Scripts.Result verify = run("verify.java", "-n", "used", "--timeout", "3s");
        assertEquals(1, verify.exitCode(), verify.toString());
        assertTrue(made().contains("get pods/portforward -n used kafka-0"), "reached the port-forward: " + made());
        assertEquals(List.of(), refused());

        Scripts.Result deploy = run("deploy.java", "prod", "-n", "used", "--no-wait");
        assertEquals(1, deploy.exitCode(), deploy.toString());
        assertTrue(deploy.stderr().contains("cannot get resource \"services\" in API group \"\" in the namespace "
                + "\"used\""), deploy.stderr());
    }

    /**
     * Which Kafka formatted a volume is noted on its claim, from its first pod: here after a deploy with --no-wait,
     * by the next one.
     */
    @Test
    void aDeployNotesWhichKafkaFormattedEachVolume() {
        namespaceExists("noted");
        grant(AccessRules.deployRole("noted"));
        assertEquals(0, run("deploy.java", "-n", "noted", "--no-wait").exitCode());
        // The test plays the StatefulSet controller: the claim, and right after it its first pod.
        createClaim("noted", "data-kafka-0", Map.of("app", "kafka", "app.kubernetes.io/managed-by", "kafka-k8s-setup"));
        api.putPod("noted", "kafka-0", ApiServer.ready(), KafkaManifests.DEFAULT_IMAGE);
        Scripts.Result noted = run("deploy.java", "-n", "noted", "--no-wait");
        assertEquals(0, noted.exitCode(), noted + "\nrequests: " + made());
        assertEquals(List.of(), refused());
        assertEquals(KafkaReleases.versionOfImage(KafkaManifests.DEFAULT_IMAGE), FormattedBy.of(api.client()
                .persistentVolumeClaims().inNamespace("noted").withName("data-kafka-0").get()));
    }

    @Test
    void aDeployThatWaitsAndTimesOutNeedsNothingMore() {
        namespaceExists("waits");
        grant(AccessRules.deployRole("waits"));
        Scripts.Result timedOut = run("deploy.java", "-n", "waits", "--timeout", "2s");
        assertEquals(1, timedOut.exitCode(), timedOut.toString());
        assertTrue(timedOut.stderr().contains("kafka-0: not created"), timedOut.stderr());
        assertEquals(List.of(), refused());
    }

    @Test
    void deleteRemovesOnlyWhatTheToolMadeAndKeepsTheVolumesUnlessAsked() {
        namespaceExists("teardown");
        grant(AccessRules.deployRole("teardown"));
        assertEquals(0, run("deploy.java", "prod", "-n", "teardown", "--no-wait").exitCode());
        // The test plays the StatefulSet controller (claims carry the template's labels) and another team.
        for (String claim : List.of("data-kafka-0", "data-kafka-1", "data-kafka-2")) {
            createClaim("teardown", claim, Map.of("app", "kafka", "app.kubernetes.io/managed-by", "kafka-k8s-setup"));
        }
        createClaim("teardown", "postgres-data", Map.of("app", "kafka"));

        Scripts.Result dryRun = run("deploy.java", "--delete", "--dry-run", "-n", "teardown");
        assertEquals(0, dryRun.exitCode(), dryRun.toString());
        // Deployed without waiting, the cluster never formed: its formation ConfigMap is still there.
        assertEquals("deploy --delete: would delete 6 objects; kept 3 volumes (data-kafka-0..; --delete-data "
                + "deletes them); kept 5 Secrets\n", dryRun.stdout());
        assertEquals(3, api.client().services().inNamespace("teardown").list().getItems().size()
                + api.client().apps().statefulSets().inNamespace("teardown").list().getItems().size(),
                "a dry run deletes nothing");

        Scripts.Result deleted = run("deploy.java", "--delete", "-n", "teardown", "--json");
        assertEquals(0, deleted.exitCode(), deleted.toString());
        assertTrue(deleted.stdout().contains("\"deleted\":[\"StatefulSet kafka\",\"Service kafka-headless\","
                + "\"Service kafka\",\"PodDisruptionBudget kafka\",\"NetworkPolicy kafka\","
                + "\"ConfigMap kafka-formation\"]"), deleted.stdout());
        assertNull(api.client().apps().statefulSets().inNamespace("teardown").withName("kafka").get());
        assertEquals(List.of(), api.client().services().inNamespace("teardown").list().getItems());
        assertEquals(4, api.client().persistentVolumeClaims().inNamespace("teardown").list().getItems().size(),
                "volumes kept");

        Scripts.Result again = run("deploy.java", "--delete", "-n", "teardown", "--delete-data");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.stdout().startsWith("deploy --delete: nothing to delete; deleted 3 volumes"),
                again.stdout());
        assertEquals(List.of("postgres-data"), api.client().persistentVolumeClaims().inNamespace("teardown").list()
                .getItems().stream().map(claim -> claim.getMetadata().getName()).toList());
        assertEquals(List.of(), refused());
    }

    private static void createClaim(String namespace, String name, Map<String, String> labels) {
        api.client().persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                .withRequests(Map.of("storage", new Quantity("1Gi"))).endResources().endSpec().build()).create();
    }

    /**
     * No more than needed: every verb the shipped roles grant was used by some command in these tests; the safe
     * roll's (it needs real brokers) by RollingRestartTest, under the same Role.
     */
    @AfterAll
    static void everyGrantedRightWasNeeded() {
        List<ResourceRequest> used = new java.util.ArrayList<>(api.allowedEver());
        used.add(new ResourceRequest("get", "", "pods", null, "any", "kafka-0"));
        used.add(new ResourceRequest("delete", "", "pods", null, "any", "kafka-0"));
        used.add(new ResourceRequest("create", "", "pods", "eviction", "any", "kafka-0"));
        // Marking the app user's Secret once its ACLs are in Kafka: by SecureClusterTest, under the same Role.
        used.add(new ResourceRequest("patch", "", "secrets", null, "any", "learnflow"));
        for (HasMetadata role : AccessRules.all("any")) {
            List<PolicyRule> rules = role instanceof Role r ? r.getRules() : ((ClusterRole) role).getRules();
            for (PolicyRule rule : rules) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        assertTrue(used.stream().anyMatch(request -> request.verb().equals(verb)
                                && request.resourcePath().equals(resource)
                                && request.group().equals(rule.getApiGroups().get(0))),
                                role.getMetadata().getName() + " grants " + verb + " " + resource
                                        + ", which no command used");
                    }
                }
            }
        }
    }

    @Test
    void printRbacShowsExactlyTheRolesTheseTestsEnforce() {
        Scripts.Result printed = run("deploy.java", "--print-rbac", "-n", "team-a", "--json");
        assertEquals(0, printed.exitCode(), printed.toString());
        KubernetesList list = new KubernetesSerialization().unmarshal(printed.stdout(), KubernetesList.class);
        assertEquals(AccessRules.all("team-a"), list.getItems());
        Scripts.Result yaml = run("deploy.java", "--print-rbac", "-n", "team-a");
        assertEquals(3, yaml.stdout().lines().filter(line -> line.equals("---")).count(), yaml.stdout());
    }
}
