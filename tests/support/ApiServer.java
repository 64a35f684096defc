package tests.support;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stand-in Kubernetes API server: fabric8's mock in CRUD mode, taught server-side apply for this tool's objects,
 * with a kubeconfig pointing at it. The tests also play the kubelet here, setting pod status by hand.
 */
public final class ApiServer implements AutoCloseable, AfterAllCallback {
    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final Path kubeconfig;
    private final ServerSideApplyDispatcher dispatcher = new ServerSideApplyDispatcher();
    private boolean closed;

    public ApiServer() {
        PortForwardPorts.acquire(); // the scripts this server serves port-forward on this machine's fixed ports
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = server.createClient();
        try {
            kubeconfig = Files.createTempFile("kubeconfig", ".yaml");
            Files.writeString(kubeconfig, kubeconfig("mock", server.url("/").replaceAll("/$", ""),
                    ServerSideApplyDispatcher.SCRIPT_TOKEN));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A kubeconfig with one context, named {@code context}, for the given server URL. */
    public static String kubeconfig(String context, String serverUrl, String token) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: %1$s
                  cluster:
                    server: %2$s
                contexts:
                - name: %1$s
                  context:
                    cluster: %1$s
                    user: %1$s-user
                current-context: %1$s
                users:
                - name: %1$s-user
                  user:
                    token: %3$s
                """.formatted(context, serverUrl, token);
    }

    /** The environment a script needs to reach this server. */
    public Map<String, String> environment() {
        return Map.of("KUBECONFIG", kubeconfig.toString());
    }

    /** The test's own client: it acts as cluster admin, outside any policy and unrecorded. */
    public KubernetesClient client() {
        return client;
    }

    /**
     * From now on, checks every request of a client other than the test's own against RBAC as the API server
     * does, and answers 403 with its message when the policy does not allow it.
     */
    public void enforce(RbacPolicy policy) {
        dispatcher.policy = policy;
        dispatcher.requests.clear();
    }

    /** Every resource request the scripts made since {@link #enforce}, each with whether RBAC allowed it. */
    public List<Map.Entry<ResourceRequest, Boolean>> requests() {
        return List.copyOf(dispatcher.requests);
    }

    /** From now on, lists this API group in discovery ({@code GET /apis}), as OpenShift lists its own. */
    public void serveApiGroup(String group) {
        dispatcher.extraGroups.add(group);
    }

    /** Where a pod's container port is reached on this machine: null while the pod runs nothing there. */
    @FunctionalInterface
    public interface PodNetwork {
        Integer hostPort(String namespace, String pod, int containerPort);
    }

    /**
     * From now on, serves {@code pods/portforward} as the kubelet does, to the ports {@code network} gives (before,
     * the CRUD mock answered it without a stream).
     */
    public void servePortForward(PodNetwork network) {
        dispatcher.network = network;
    }

    /**
     * Plays another actor (a node drain) once, at the moment a script first evicts or deletes a pod: {@code actor}
     * gets that pod's name and acts before the script's request is served.
     */
    public void beforeScriptTakesPodDown(java.util.function.Consumer<String> actor) {
        dispatcher.podDownHook = actor;
    }

    /** Evicts a pod as {@code kubectl drain} does: true when its PodDisruptionBudgets allowed it. */
    public boolean evict(String namespace, String pod) {
        return dispatcher.evict(namespace, pod).code() == 201;
    }

    /** Every resource request any policy has allowed since this server started. */
    public List<ResourceRequest> allowedEver() {
        return List.copyOf(dispatcher.allowedEver);
    }

    /** Plays the kubelet: a pod of the StatefulSet, with the given status. */
    public void putPod(String namespace, String name, PodStatus status) {
        putPod(namespace, name, status, "apache/kafka");
    }

    /** Plays the kubelet: a pod of the StatefulSet running {@code image}, with the given status. */
    public void putPod(String namespace, String name, PodStatus status, String image) {
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .withLabels(Map.of("app", "kafka")).endMetadata()
                .withNewSpec().addNewContainer().withName("kafka").withImage(image).endContainer().endSpec()
                .build();
        client.pods().inNamespace(namespace).resource(pod).createOr(existing -> existing.update());
        Pod stored = client.pods().inNamespace(namespace).withName(name).get();
        stored.setStatus(status);
        client.pods().inNamespace(namespace).resource(stored).updateStatus();
    }

    /**
     * Plays the StatefulSet controller: reports how many replicas are Ready and how many run the current revision,
     * for the StatefulSet's current generation.
     */
    public void reportStatefulSet(String namespace, int ready, int updated) {
        var statefulSets = client.apps().statefulSets().inNamespace(namespace);
        var current = statefulSets.withName("kafka").get();
        current.setStatus(new StatefulSetStatusBuilder().withObservedGeneration(current.getMetadata().getGeneration())
                .withReplicas(current.getSpec().getReplicas()).withReadyReplicas(ready).withUpdatedReplicas(updated)
                .withCurrentReplicas(updated).build());
        statefulSets.resource(current).updateStatus();
    }

    public static PodStatus ready() {
        return new PodStatusBuilder().withPhase("Running").withConditions(condition("Ready", "True", null, null))
                .build();
    }

    public static PodStatus waiting(String reason) {
        return new PodStatusBuilder().withPhase("Pending").withConditions(condition("Ready", "False", null, null))
                .withContainerStatuses(new ContainerStatusBuilder().withName("kafka").withReady(false)
                        .withNewState().withNewWaiting().withReason(reason).withMessage("as set by the test")
                        .endWaiting().endState().build())
                .build();
    }

    public static PodStatus oomKilled() {
        return new PodStatusBuilder().withPhase("Running").withConditions(condition("Ready", "False", null, null))
                .withContainerStatuses(new ContainerStatusBuilder().withName("kafka").withReady(false)
                        .withRestartCount(3)
                        .withNewLastState().withNewTerminated().withReason("OOMKilled").withExitCode(137)
                        .endTerminated().endLastState().build())
                .build();
    }

    public static PodStatus unschedulable() {
        return new PodStatusBuilder().withPhase("Pending").withConditions(condition("PodScheduled", "False",
                "Unschedulable", "0/3 nodes are available: 3 Insufficient memory.")).build();
    }

    private static PodCondition condition(String type, String status, String reason, String message) {
        return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .build();
    }

    /** Registered as a JUnit extension ({@code @RegisterExtension static}), it stops after the test class. */
    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        client.close();
        server.destroy();
        PortForwardPorts.release();
    }

    /**
     * The CRUD dispatcher answers apply patches with 404/415. An API server creates the object when it is missing
     * and merges the applied fields when it is present, keeping fields others set and the resourceVersion when
     * nothing changed. For this tool's objects (it owns every list it sets), a JSON merge patch is that merge, once
     * the fields it applied before and no longer applies are removed.
     */
    static final class ServerSideApplyDispatcher extends KubernetesCrudDispatcher {
        /** What the scripts' kubeconfig sends; the test's own client sends none. */
        static final String SCRIPT_TOKEN = "secret-token";
        private final KubernetesSerialization json = new KubernetesSerialization();
        private final List<Map.Entry<ResourceRequest, Boolean>> requests =
                java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        private final List<ResourceRequest> allowedEver =
                java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        private static final java.util.regex.Pattern STATEFULSET =
                java.util.regex.Pattern.compile("/apis/apps/v1/namespaces/[^/]+/statefulsets/[^/]+");
        private static final java.util.Set<String> MUTABLE_STATEFULSET_SPEC = java.util.Set.of("replicas", "ordinals",
                "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds");
        private static final java.util.regex.Pattern PORT_FORWARD = java.util.regex.Pattern
                .compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)/portforward\\?(?:.*&)?ports=(\\d+).*");
        private static final java.util.regex.Pattern POD =
                java.util.regex.Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)(/eviction)?");
        private volatile RbacPolicy policy;
        private volatile PodNetwork network;
        private volatile java.util.function.Consumer<String> podDownHook;
        /** What the (one) field manager last applied to each object, by path: the fields it owns. */
        private final Map<String, Map<String, Object>> applied = new java.util.concurrent.ConcurrentHashMap<>();
        private final List<String> extraGroups = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            if ("GET".equals(request.getMethod()) && "/apis".equals(request.getPath().split("\\?")[0])) {
                return discovery();
            }
            MockResponse forbidden = authorize(request);
            if (forbidden != null) {
                return forbidden;
            }
            java.util.regex.Matcher pod = POD.matcher(request.getPath().split("\\?")[0]);
            boolean evicting = pod.matches() && pod.group(3) != null && "POST".equals(request.getMethod());
            boolean deleting = pod.matches() && pod.group(3) == null && "DELETE".equals(request.getMethod());
            java.util.function.Consumer<String> hook = podDownHook;
            if ((evicting || deleting) && hook != null && ("Bearer " + SCRIPT_TOKEN).equals(request.getHeader(
                    "Authorization"))) {
                podDownHook = null;
                hook.accept(pod.group(2));
            }
            if (evicting) {
                return evict(pod.group(1), pod.group(2));
            }
            java.util.regex.Matcher portForward = PORT_FORWARD.matcher(request.getPath());
            PodNetwork served = network;
            if (served != null && portForward.matches()) {
                return portForward(portForward.group(1), portForward.group(2),
                        Integer.parseInt(portForward.group(3)), served);
            }
            return super.dispatch(request);
        }

        /** A pod's stream as the kubelet serves it; 404 when there is no such pod. */
        private MockResponse portForward(String namespace, String pod, int containerPort, PodNetwork served) {
            if (handleGet("/api/v1/namespaces/" + namespace + "/pods/" + pod).code() == 404) {
                return new MockResponse().setResponseCode(404);
            }
            return new MockResponse().withWebSocketUpgrade(new PodPortForward(pod, containerPort,
                    served.hostPort(namespace, pod, containerPort)));
        }

        /**
         * The eviction subresource: the pod is deleted unless a PodDisruptionBudget covering it forbids, counted as
         * an up-to-date disruption controller counts (expected pods from the StatefulSets' replicas, healthy ones
         * Ready and not terminating); a pod that is not Ready may go while the budget is met (IfHealthyBudget).
         */
        synchronized MockResponse evict(String namespace, String name) {
            String podPath = "/api/v1/namespaces/" + namespace + "/pods/" + name;
            MockResponse found = handleGet(podPath);
            if (found.code() == 404) {
                return status(404, "NotFound", "pods \"" + name + "\" not found");
            }
            Pod pod = json.unmarshal(found.getBody().readUtf8(), Pod.class);
            var budgets = json.unmarshal(handleGet("/apis/policy/v1/namespaces/" + namespace
                    + "/poddisruptionbudgets").getBody().readUtf8(),
                    io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetList.class).getItems();
            for (var budget : budgets) {
                Map<String, String> selector = budget.getSpec().getSelector().getMatchLabels();
                if (!covers(selector, pod)) {
                    continue;
                }
                List<Pod> covered = json.unmarshal(handleGet("/api/v1/namespaces/" + namespace + "/pods")
                        .getBody().readUtf8(), io.fabric8.kubernetes.api.model.PodList.class).getItems().stream()
                        .filter(other -> covers(selector, other)).toList();
                int expected = Math.max(covered.size(), json.unmarshal(handleGet("/apis/apps/v1/namespaces/"
                        + namespace + "/statefulsets").getBody().readUtf8(),
                        io.fabric8.kubernetes.api.model.apps.StatefulSetList.class).getItems().stream()
                        .filter(set -> selector.entrySet().stream().allMatch(label -> label.getValue().equals(
                                set.getSpec().getTemplate().getMetadata().getLabels().get(label.getKey()))))
                        .mapToInt(set -> set.getSpec().getReplicas()).sum());
                long healthy = covered.stream().filter(ServerSideApplyDispatcher::healthy).count();
                int desired = budget.getSpec().getMinAvailable() != null
                        ? budget.getSpec().getMinAvailable().getIntVal()
                        : expected - budget.getSpec().getMaxUnavailable().getIntVal();
                boolean allowed = healthy(pod) ? healthy - 1 >= desired : healthy >= desired;
                if (!allowed) {
                    return status(429, "TooManyRequests",
                            "Cannot evict pod as it would violate the pod's disruption budget.");
                }
            }
            handleDelete(podPath);
            return status(201, null, null);
        }

        private static boolean covers(Map<String, String> selector, Pod pod) {
            Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of()
                    : pod.getMetadata().getLabels();
            return selector.entrySet().stream().allMatch(label -> label.getValue().equals(labels.get(label
                    .getKey())));
        }

        private static boolean healthy(Pod pod) {
            return pod.getMetadata().getDeletionTimestamp() == null && common.kube.PodReadiness.isReady(pod);
        }

        private MockResponse status(int code, String reason, String message) {
            return new MockResponse().setResponseCode(code).setBody(json.asJson(new io.fabric8.kubernetes.api.model
                    .StatusBuilder().withStatus(code < 400 ? "Success" : "Failure").withReason(reason).withCode(code)
                    .withMessage(message).build()));
        }

        /** RBAC as the API server checks it: the 403 answer, or null when the request may go on. */
        private MockResponse authorize(RecordedRequest request) {
            RbacPolicy enforced = policy;
            ResourceRequest attributes = ResourceRequest.of(request.getMethod(), request.getPath());
            if (enforced == null || attributes == null
                    || !("Bearer " + SCRIPT_TOKEN).equals(request.getHeader("Authorization"))) {
                return null;
            }
            List<ResourceRequest> required = new java.util.ArrayList<>(List.of(attributes));
            String contentType = request.getHeader("Content-Type");
            if (contentType != null && contentType.contains("apply-patch")
                    && handleGet(request.getPath().split("\\?")[0]).code() == 404) {
                required.add(attributes.as("create")); // an apply that creates needs create too
            }
            if ("get".equals(attributes.verb()) && attributes.subresource() != null
                    && java.util.Set.of("portforward", "exec", "attach")
                    .contains(attributes.subresource())) {
                required.add(attributes.as("create")); // Kubernetes 1.30+: WebSocket upgrades need create too
            }
            for (ResourceRequest needed : required) {
                boolean allowed = enforced.allows(needed);
                requests.add(Map.entry(needed, allowed));
                if (allowed) {
                    allowedEver.add(needed);
                }
                if (!allowed) {
                    return new MockResponse().setResponseCode(403).setBody(json.asJson(new io.fabric8.kubernetes.api
                            .model.StatusBuilder().withStatus("Failure").withReason("Forbidden").withCode(403)
                            .withMessage(needed.forbidden(enforced.user())).build()));
                }
            }
            return null;
        }

        @Override
        @SuppressWarnings("unchecked")
        public MockResponse handlePatch(RecordedRequest request) {
            String contentType = request.getHeader("Content-Type");
            if (contentType == null || !contentType.contains("apply-patch")) {
                return super.handlePatch(request);
            }
            String objectPath = request.getPath().split("\\?")[0];
            String body = request.getUtf8Body();
            MockResponse existing = handleGet(objectPath);
            Map<String, Object> applying = json.unmarshal(body, Map.class);
            Map<String, Object> previous = applied.put(objectPath, applying);
            if (existing.code() == 404) {
                String collection = objectPath.substring(0, objectPath.lastIndexOf('/'));
                return handleCreate(request(HttpMethod.POST, collection, "application/json", body));
            }
            Map<String, Object> current = json.unmarshal(existing.getBody().readUtf8(), Map.class);
            Map<String, Object> kept = previous == null ? deepCopy(current)
                    : withoutDropped(deepCopy(current), previous, applying);
            Map<String, Object> merged = merge(kept, applying);
            if (merged.equals(current)) {
                return new MockResponse().setResponseCode(200).setBody(json.asJson(current));
            }
            // Store exactly the merged object (the mock's own merge patch keeps stale list entries).
            return handleUpdate(request(HttpMethod.PUT, objectPath, "application/json", json.asJson(merged)));
        }

        /**
         * A StatefulSet's spec is immutable but for a few fields, as on a real API server (its validation answers 422
         * whatever the rest of the update says): e.g. a volume claim template's storage class cannot change.
         */
        @Override
        @SuppressWarnings("unchecked")
        public MockResponse handleUpdate(RecordedRequest request) {
            String objectPath = request.getPath().split("\\?")[0];
            String body = request.getUtf8Body();
            MockResponse existing = STATEFULSET.matcher(objectPath).matches() ? handleGet(objectPath) : null;
            if (existing != null && existing.code() == 200) {
                Map<String, Object> current = json.unmarshal(existing.getBody().readUtf8(), Map.class);
                Map<String, Object> updated = json.unmarshal(body, Map.class);
                if (!immutableSpec(current).equals(immutableSpec(updated))) {
                    return new MockResponse().setResponseCode(422).setBody(json.asJson(new io.fabric8.kubernetes.api
                            .model.StatusBuilder().withStatus("Failure").withReason("Invalid").withCode(422)
                            .withMessage("StatefulSet.apps \"" + objectPath.substring(objectPath.lastIndexOf('/') + 1)
                                    + "\" is invalid: spec: Forbidden: updates to statefulset spec for fields other "
                                    + "than 'replicas', 'ordinals', 'template', 'updateStrategy', "
                                    + "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
                            .build()));
                }
            }
            return super.handleUpdate(request(HttpMethod.PUT, request.getPath(), "application/json", body));
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> immutableSpec(Map<String, Object> statefulSet) {
            Map<String, Object> spec = new HashMap<>((Map<String, Object>) statefulSet.getOrDefault("spec", Map.of()));
            spec.keySet().removeAll(MUTABLE_STATEFULSET_SPEC);
            return spec;
        }

        /** API discovery: the groups this tool uses, and any the test added. */
        private MockResponse discovery() {
            List<io.fabric8.kubernetes.api.model.APIGroup> groups = new java.util.ArrayList<>();
            for (String name : java.util.stream.Stream.concat(java.util.stream.Stream.of("apps", "policy",
                    "rbac.authorization.k8s.io"), extraGroups.stream()).toList()) {
                groups.add(new io.fabric8.kubernetes.api.model.APIGroupBuilder().withName(name)
                        .addNewVersion().withGroupVersion(name + "/v1").withVersion("v1").endVersion().build());
            }
            return new MockResponse().setResponseCode(200).setBody(json.asJson(
                    new io.fabric8.kubernetes.api.model.APIGroupListBuilder().withGroups(groups).build()));
        }

        private static RecordedRequest request(HttpMethod method, String path, String contentType, String body) {
            return new RecordedRequest("HTTP/1.1", method, path, Headers.builder().add("Content-Type", contentType)
                    .build(), new Buffer(body.getBytes(StandardCharsets.UTF_8)));
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> merge(Map<String, Object> target, Map<String, Object> patch) {
            patch.forEach((key, value) -> {
                if (value == null) {
                    target.remove(key);
                } else if (value instanceof Map && target.get(key) instanceof Map) {
                    merge((Map<String, Object>) target.get(key), (Map<String, Object>) value);
                } else {
                    target.put(key, value);
                }
            });
            return target;
        }

        /**
         * The fields the field manager applied before and no longer applies are removed, as a server-side apply
         * removes the fields a manager owned alone and stops sending (e.g. a selector's terms when an empty selector
         * is applied); fields others set stay.
         */
        @SuppressWarnings("unchecked")
        private static Map<String, Object> withoutDropped(Map<String, Object> target, Map<String, Object> previous,
                Map<String, Object> applying) {
            previous.forEach((key, value) -> {
                Object now = applying.get(key);
                if (now == null) {
                    target.remove(key);
                } else if (value instanceof Map && now instanceof Map && target.get(key) instanceof Map) {
                    withoutDropped((Map<String, Object>) target.get(key), (Map<String, Object>) value,
                            (Map<String, Object>) now);
                }
            });
            return target;
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> deepCopy(Map<String, Object> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((key, value) -> copy.put(key, value instanceof Map ? deepCopy((Map<String, Object>) value)
                    : value instanceof List ? List.copyOf((List<Object>) value) : value));
            return copy;
        }
    }
}
