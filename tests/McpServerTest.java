package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import common.cluster.ClusterProfile;
import common.cluster.KafkaManifests;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.InitializeResult;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import tests.support.ApiServer;
import tests.support.KafkaNodes;
import tests.support.Scripts;
import tools.jackson.databind.json.JsonMapper;

/**
 * mcp_server.java started as a process through ./jbang and driven by the MCP Java SDK's own stdio client, against a
 * real one-node Kafka and the stand-in API server. Everything the server writes to stdout is teed to a file and
 * checked to be JSON-RPC only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpServerTest {
    @RegisterExtension
    static final ApiServer api = new ApiServer();

    private final McpJsonMapper json = new JacksonMcpJsonMapper(JsonMapper.builder().build());
    private final List<ProgressNotification> progress = new CopyOnWriteArrayList<>();
    private KafkaNodes kafka;
    private Path stdoutCopy;
    private McpSyncClient client;

    @BeforeAll
    void start() throws Exception {
        kafka = KafkaNodes.start(new KafkaManifests(ClusterProfile.DEV, "kafka", KafkaManifests.DEFAULT_IMAGE, null,
                null));
        Scripts.build("mcp_server.java");
        stdoutCopy = Files.createTempFile("mcp-stdout", ".jsonl");
        ServerParameters server = ServerParameters.builder("sh")
                .args("-c", "cd '" + Scripts.ROOT + "' && ./jbang mcp_server.java | tee '" + stdoutCopy + "'")
                .env(api.environment()).build();
        client = McpClient.sync(new StdioClientTransport(server, json)).requestTimeout(Duration.ofSeconds(90))
                .initializationTimeout(Duration.ofSeconds(60)).progressConsumer(progress::add).build();
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.closeGracefully();
        }
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
        if (kafka != null) {
            kafka.close();
        }
    }

    private CallToolResult call(String tool, Map<String, Object> arguments) {
        return client.callTool(CallToolRequest.builder(tool).arguments(arguments).build());
    }

    private static String text(CallToolResult result) {
        return ((TextContent) result.content().get(0)).text();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> facts(CallToolResult result) {
        return (Map<String, Object>) result.structuredContent();
    }

    @Test
    void initializesAndListsTheToolsWithObjectSchemasAndShortDescriptions() {
        InitializeResult init = client.initialize();
        assertEquals("kafka-k8s-setup", init.serverInfo().name());
        List<Tool> tools = client.listTools().tools();
        assertEquals(List.of("deploy", "create_topics", "verify", "get_connection", "delete"),
                tools.stream().map(Tool::name).toList());
        for (Tool tool : tools) {
            assertEquals("object", tool.inputSchema().get("type"), tool.name());
            assertTrue(((Map<?, ?>) tool.inputSchema().get("properties")).containsKey("namespace"), tool.name());
            assertTrue(tool.description().split(" ").length <= 12 && tool.description().endsWith("."),
                    tool.description());
        }
    }

    @Test
    void getConnectionAnswersForTheDefaultAndAnotherNamespace() {
        CallToolResult plain = call("get_connection", Map.of());
        assertFalse(Boolean.TRUE.equals(plain.isError()), text(plain));
        assertEquals("kafka.kafka.svc.cluster.local:9092", facts(plain).get("connection"));
        CallToolResult other = call("get_connection", Map.of("namespace", "team-a"));
        assertEquals("kafka.team-a.svc.cluster.local:9092", facts(other).get("connection"));
        assertTrue(text(other).contains("\"connection\":\"kafka.team-a.svc.cluster.local:9092\""), text(other));
    }

    @Test
    void deployDryRunReturnsTheRenderedObjects() {
        CallToolResult result = call("deploy", Map.of("profile", "prod", "dryRun", true));
        assertFalse(Boolean.TRUE.equals(result.isError()), text(result));
        assertEquals("List", facts(result).get("kind"));
        assertEquals(7, ((List<?>) facts(result).get("items")).size(), "the six objects and the formation");
    }

    @Test
    void createTopicsAndVerifyWorkAgainstARealBroker() {
        CallToolResult created = call("create_topics", Map.of("bootstrapServer", kafka.bootstrapServers()));
        assertFalse(Boolean.TRUE.equals(created.isError()), text(created));
        assertEquals("ok", facts(created).get("status"));
        assertEquals(7, ((List<?>) facts(created).get("topics")).size());

        CallToolResult verified = call("verify", Map.of("bootstrapServer", kafka.bootstrapServers(), "topics", true));
        assertFalse(Boolean.TRUE.equals(verified.isError()), text(verified));
        assertEquals("healthy", facts(verified).get("status"));
    }

    @Test
    void verifyAgainstTheApiServerReportsWhatIsWrongAsAToolError() {
        CallToolResult result = call("verify", Map.of("namespace", "nothing-here", "timeout", "3s"));
        assertTrue(result.isError());
        assertTrue(text(result).contains("Kafka is not deployed in namespace 'nothing-here'"), text(result));
        assertEquals("unhealthy", facts(result).get("status"));
    }

    @Test
    void anInvalidArgumentIsAToolErrorWithTheCommandsOneLineMessage() {
        CallToolResult profile = call("deploy", Map.of("profile", "staging"));
        assertTrue(profile.isError());
        assertTrue(text(profile).startsWith("deploy: ") && text(profile).contains("staging"), text(profile));
        assertEquals(1, text(profile).lines().count());

        CallToolResult unknown = call("verify", Map.of("bogus", true));
        assertTrue(unknown.isError());
        assertTrue(text(unknown).contains("unknown argument 'bogus'"), text(unknown));
    }

    @Test
    void aLongDeployReportsProgressWhenTheClientAsksForIt() {
        // The test plays the kubelet: the pod exists but never becomes Ready, so deploy waits, then times out.
        api.putPod("slow", "kafka-0", ApiServer.waiting("ContainerCreating"));
        progress.clear();
        CallToolResult result = client.callTool(CallToolRequest.builder("deploy")
                .arguments(Map.of("namespace", "slow", "timeout", "3s")).progressToken("deploy-1").build());
        assertTrue(result.isError());
        assertTrue(text(result).contains("kafka-0: ContainerCreating"), text(result));
        assertTrue(progress.stream().anyMatch(p -> "deploy-1".equals(p.progressToken())
                && p.message().contains("waiting for brokers: 0/1 Ready")), progress.toString());
    }

    @Test
    void stdoutCarriesNothingButJsonRpc() throws Exception {
        call("get_connection", Map.of());
        call("deploy", Map.of("profile", "staging"));
        List<String> lines = Files.readAllLines(stdoutCopy);
        assertFalse(lines.isEmpty());
        for (String line : lines) {
            Map<?, ?> message = json.readValue(line, Map.class);
            assertEquals("2.0", message.get("jsonrpc"), line);
        }
    }
}
