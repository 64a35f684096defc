///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Sources are UTF-8 (they hold ✓, ✗, →) whatever the locale: JDK 17's javac reads them in the locale's charset.
//JAVAC_OPTIONS -encoding UTF-8
// The sourced scripts bring their JVM options; class data sharing is per jar.
//CDS
//DEPS io.modelcontextprotocol.sdk:mcp:2.1.0
//SOURCES deploy.java create_topics.java verify.java get_connection.java

import common.cli.Cli;
import common.cli.Output;
import common.cli.ToolVersion;
import common.cli.Utf8Streams;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An MCP server on stdio with the four commands as tools. Each call runs the same command class in-process with
 * {@code --json}, capturing its output: the result is that JSON (as text and as structured content); a failure is a
 * tool error whose text is the command's one-line error. Nothing but protocol messages goes to stdout.
 */
public class mcp_server {
    /** Names say what each property is; a description only where they do not (it costs every client tokens). */
    static final List<ToolCommand> TOOLS = List.of(
            new ToolCommand("deploy", "Deploy Kafka (dev: 1 broker, prod: 3) and wait until Ready.",
                    deploy::new, List.of(), List.of(
                            Param.positional("profile", "dev", "prod"),
                            Param.option("replicas", "--replicas", "integer", "prod: 3+"),
                            Param.NAMESPACE, Param.CONTEXT, Param.TIMEOUT,
                            Param.option("dryRun", "--dry-run", "boolean", null),
                            Param.option("plan", "--plan", "boolean", "show the steps, change nothing"),
                            Param.option("noWait", "--no-wait", "boolean", null),
                            Param.option("recreate", "--recreate", "boolean", "deletes all data"),
                            Param.option("image", "--image", "string", null),
                            Param.option("finalize", "--finalize", "boolean", "after the roll; one-way"),
                            Param.option("security", "--security", "string", "tls or none"),
                            Param.option("storageSize", "--storage-size", "string", "e.g. 10Gi"),
                            Param.option("storageClass", "--storage-class", "string", null))),
            new ToolCommand("create_topics", "Create the LearnFlow topics; safe to repeat.", create_topics::new,
                    List.of(), List.of(Param.NAMESPACE, Param.CONTEXT, Param.BOOTSTRAP, Param.TIMEOUT,
                            Param.option("replicationFactor", "--replication-factor", "integer", null))),
            new ToolCommand("verify", "Check that Kafka is healthy.", verify::new, List.of(),
                    List.of(Param.NAMESPACE, Param.CONTEXT, Param.BOOTSTRAP, Param.TIMEOUT,
                            Param.option("topics", "--topics", "boolean", "also the LearnFlow topics"),
                            Param.option("wait", "--wait", "boolean", null))),
            // Never --show-password: a password is not returned over MCP, only where its Secret is.
            new ToolCommand("get_connection", "Get the in-cluster Kafka bootstrap address.", get_connection::new,
                    List.of(), List.of(Param.NAMESPACE,
                            Param.option("clientConfig", "--client-config", "string", "java or dapr"))),
            new ToolCommand("delete", "Remove deployed Kafka; volumes kept unless deleteData.", deploy::new,
                    List.of("--delete"), List.of(Param.NAMESPACE, Param.CONTEXT,
                            Param.option("deleteData", "--delete-data", "boolean", null),
                            Param.option("dryRun", "--dry-run", "boolean", null))));

    public static void main(String... args) throws Exception {
        Utf8Streams.install();
        Cli.configureLogging(false);
        McpJsonMapper json = new JacksonMcpJsonMapper(JsonMapper.builder().build());
        LineOutput out = new LineOutput(System.out);
        McpServer.sync(new StdioServerTransportProvider(json, JsonRpcLines.filter(System.in, out), out))
                .serverInfo("kafka-k8s-setup", ToolVersion.TOOL)
                .capabilities(ServerCapabilities.builder().tools(false).build())
                // The commands check their own input, so a bad argument gets the same one-line error as on the CLI.
                .validateToolInputs(false)
                .tools(TOOLS.stream().map(tool -> tool.specification(json)).toList())
                .build();
        // The transport serves stdin on its own threads, until the client closes it.
        Thread.currentThread().join();
    }

    /**
     * stdout, one whole line at a time: the transport's messages and this server's own error answers never
     * interleave.
     */
    static final class LineOutput extends OutputStream {
        private final OutputStream out;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            line.write(b);
            if (b == '\n') {
                line.writeTo(out);
                out.flush();
                line.reset();
            }
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            for (int i = offset; i < offset + length; i++) {
                write(bytes[i]);
            }
        }

        synchronized void writeLine(String text) throws IOException {
            byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
            write(bytes, 0, bytes.length);
        }
    }

    /**
     * Hands the SDK's transport only lines that are JSON-RPC messages: it stops reading for good after one that is
     * not. Anything else gets its JSON-RPC error here (-32700 not JSON, -32600 not a request: {@code {}}, a batch,
     * a line over 16 MiB) and the server goes on. The end of stdin ends the process, as MCP's stdio transport
     * expects.
     */
    static final class JsonRpcLines {
        static final int MAX_LINE = 16 << 20;
        private static final JsonMapper JSON = JsonMapper.builder().build();

        static InputStream filter(InputStream raw, LineOutput out) throws IOException {
            PipedInputStream forTransport = new PipedInputStream(1 << 16);
            PipedOutputStream toTransport = new PipedOutputStream(forTransport);
            Thread reader = new Thread(() -> {
                try {
                    pump(new BufferedInputStream(raw), toTransport, out);
                } catch (IOException e) {
                    // stdin or the transport is gone: nothing left to serve
                }
                System.exit(0);
            }, "mcp-stdin");
            reader.setDaemon(true);
            reader.start();
            return forTransport;
        }

        private static void pump(InputStream in, OutputStream transport, LineOutput out) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            boolean tooLong = false;
            for (int b = in.read(); b >= 0; b = in.read()) {
                if (b != '\n') {
                    if (line.size() < MAX_LINE) {
                        line.write(b);
                    } else {
                        tooLong = true;
                    }
                    continue;
                }
                String text = line.toString(StandardCharsets.UTF_8).strip();
                line.reset();
                String error = tooLong ? error(-32600, "Invalid Request: a message is at most 16 MiB", null)
                        : text.isEmpty() ? null : check(text);
                tooLong = false;
                if (error != null) {
                    out.writeLine(error);
                } else if (!text.isEmpty()) {
                    transport.write((text + "\n").getBytes(StandardCharsets.UTF_8));
                    transport.flush();
                }
            }
        }

        /** Null when the line is a JSON-RPC 2.0 message; else the error to answer it with. */
        private static String check(String text) {
            JsonNode message;
            try {
                message = JSON.readTree(text);
            } catch (RuntimeException notJson) {
                return error(-32700, "Parse error: not JSON", null);
            }
            if (message.isArray()) {
                return error(-32600, "Invalid Request: batches are not supported", null);
            }
            JsonNode id = message.isObject() ? message.get("id") : null;
            boolean request = message.isObject() && "2.0".equals(message.path("jsonrpc").asString(""))
                    && (message.path("method").isString() || (id != null && (message.has("result")
                            || message.has("error"))));
            return request ? null : error(-32600, "Invalid Request: not a JSON-RPC 2.0 message", id);
        }

        private static String error(int code, String message, JsonNode id) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", code);
            error.put("message", message);
            Map<String, Object> response = new LinkedHashMap<>();
            response.put("jsonrpc", "2.0");
            response.put("id", id == null || !(id.isString() || id.isNumber()) ? null : id);
            response.put("error", error);
            return JSON.writeValueAsString(response);
        }
    }

    /** One input property of a tool, and the command-line argument it becomes. */
    record Param(String name, String flag, String type, String description, List<String> choices) {
        static final Param NAMESPACE = option("namespace", "--namespace", "string", "default kafka");
        static final Param CONTEXT = option("context", "--context", "string", null);
        static final Param BOOTSTRAP = option("bootstrapServer", "--bootstrap-server", "string", "host:port");
        static final Param TIMEOUT = option("timeout", "--timeout", "string", "e.g. 30s");

        static Param option(String name, String flag, String type, String description) {
            return new Param(name, flag, type, description, List.of());
        }

        static Param positional(String name, String... choices) {
            return new Param(name, null, "string", null, List.of(choices));
        }

        Map<String, Object> schema() {
            Map<String, Object> schema = new LinkedHashMap<>();
            schema.put("type", type);
            if (description != null) {
                schema.put("description", description);
            }
            if (!choices.isEmpty()) {
                schema.put("enum", choices);
            }
            return schema;
        }

        /**
         * Appends this property's value as an argument that cannot be read as another option: {@code --flag=value},
         * and positionals after {@code --}.
         */
        void append(Object value, List<String> options, List<String> positionals) {
            boolean typeMatches = switch (type) {
                case "boolean" -> value instanceof Boolean;
                case "integer" -> value instanceof Number number && number.doubleValue() == number.longValue();
                default -> value instanceof String;
            };
            if (!typeMatches) {
                throw new IllegalArgumentException("argument '" + name + "' must be a " + type);
            }
            if (!choices.isEmpty() && !choices.contains(value)) {
                throw new IllegalArgumentException("argument '" + name + "' must be one of " + String.join(", ",
                        choices) + ", not '" + value + "'");
            }
            if (flag == null) {
                positionals.add(value.toString());
            } else if (value instanceof Boolean flagSet) {
                if (flagSet) {
                    options.add(flag);
                }
            } else {
                options.add(flag + "=" + (value instanceof Number number ? String.valueOf(number.longValue())
                        : value.toString()));
            }
        }
    }

    /** A command exposed as a tool: its schema, and how a call runs it. */
    record ToolCommand(String name, String description, Supplier<Object> command, List<String> fixedArgs,
            List<Param> params) {
        SyncToolSpecification specification(McpJsonMapper json) {
            Map<String, Object> properties = new LinkedHashMap<>();
            params.forEach(param -> properties.put(param.name(), param.schema()));
            Map<String, Object> schema = new LinkedHashMap<>();
            schema.put("type", "object");
            schema.put("properties", properties);
            schema.put("additionalProperties", false);
            Tool tool = Tool.builder(name, schema).description(description).build();
            return SyncToolSpecification.builder().tool(tool)
                    .callHandler((exchange, request) -> call(json, exchange, request)).build();
        }

        private CallToolResult call(McpJsonMapper json, McpSyncServerExchange exchange, CallToolRequest request) {
            List<String> args;
            try {
                args = arguments(request.arguments() == null ? Map.of() : request.arguments());
            } catch (IllegalArgumentException invalid) {
                return error(name + ": " + invalid.getMessage(), Map.of());
            }
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine commandLine = Cli.commandLine(command.get(), outputFactory(exchange, request), true);
            commandLine.setOut(new PrintWriter(out, true));
            commandLine.setErr(new PrintWriter(err, true));
            int exitCode = commandLine.execute(args.toArray(String[]::new));

            String result = out.toString().strip();
            Map<String, Object> facts = parse(json, result);
            if (exitCode == Cli.OK || exitCode == Cli.CHANGES_PLANNED) {
                return CallToolResult.builder().addTextContent(result).structuredContent(facts).build();
            }
            String message = err.toString().lines().filter(line -> !line.isBlank()).findFirst()
                    .orElse(name + ": " + facts.getOrDefault("problem", "exit code " + exitCode));
            return error(message, facts);
        }

        /** The command line: the tool's fixed flags, the options, --json, then -- and the positionals. */
        private List<String> arguments(Map<String, Object> input) {
            List<String> options = new ArrayList<>(fixedArgs);
            List<String> positionals = new ArrayList<>();
            input.forEach((key, value) -> params.stream().filter(param -> param.name().equals(key)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown argument '" + key + "' (expected: "
                            + String.join(", ", params.stream().map(Param::name).toList()) + ")"))
                    .append(value, options, positionals));
            options.add("--json");
            options.add("--");
            options.addAll(positionals);
            return options;
        }

        /** The command's Output forwards its progress as MCP progress notifications when the client asked. */
        private static CommandLine.IFactory outputFactory(McpSyncServerExchange exchange, CallToolRequest request) {
            Object token = request.progressToken();
            AtomicInteger step = new AtomicInteger();
            Consumer<String> listener = token == null ? status -> { }
                    : status -> exchange.progressNotification(
                            ProgressNotification.builder(token, step.incrementAndGet()).message(status).build());
            return new CommandLine.IFactory() {
                @Override
                @SuppressWarnings("unchecked")
                public <K> K create(Class<K> type) throws Exception {
                    return type == Output.class ? (K) new Output(listener) : CommandLine.defaultFactory().create(type);
                }
            };
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> parse(McpJsonMapper json, String result) {
            try {
                return result.startsWith("{") ? json.readValue(result, Map.class) : Map.of();
            } catch (IOException notJson) {
                return Map.of();
            }
        }

        private static CallToolResult error(String message, Map<String, Object> facts) {
            return CallToolResult.builder().addTextContent(message).structuredContent(facts).isError(true).build();
        }
    }
}
