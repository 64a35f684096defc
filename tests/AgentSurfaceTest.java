package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tests.support.JsonResult;
import tests.support.Scripts;
import tests.support.Tokens;

/** What agents and catalogue users touch: SKILL.md, the JBang catalogue, --json, --help, --version, exit codes. */
class AgentSurfaceTest {
    @Test
    void skillMdIsWithinItsTokenBudgetAndNamesTheFlow() throws Exception {
        String skill = Files.readString(Scripts.ROOT.resolve("SKILL.md"));
        assertTrue(skill.startsWith("---\nname: kafka-k8s-setup\ndescription: "), skill);
        int tokens = Tokens.count(skill);
        assertTrue(tokens <= 110, "SKILL.md is " + tokens + " cl100k tokens (at most 110)");
        for (String command : List.of("deploy.java", "create_topics.java", "verify.java", "get_connection.java",
                "Exit 0", "1 ", "2 ")) {
            assertTrue(skill.contains(command), command);
        }
    }

    @Test
    void theSkillsCommandsRunFromACopiedSkillFolder() throws Exception {
        Path skillDir = Files.createTempDirectory("agent-home").resolve(".claude/skills/kafka-k8s-setup");
        for (String file : trackedFiles()) {
            Path target = skillDir.resolve(file);
            Files.createDirectories(target.getParent());
            Files.copy(Scripts.ROOT.resolve(file), target);
        }
        skillDir.resolve("jbang").toFile().setExecutable(true);
        Scripts.Result result = Scripts.runProcess(List.of("./jbang", "get_connection.java", "-n", "skills"),
                Map.of(), Duration.ofMinutes(3), skillDir);
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("kafka.skills.svc.cluster.local:9092\n", result.stdout());
    }

    private static List<String> trackedFiles() {
        Scripts.Result files = Scripts.runProcess(List.of("git", "ls-files", "--cached", "--others", "--exclude-standard"), Map.of(), Duration.ofSeconds(30));
        assertEquals(0, files.exitCode(), files.toString());
        return files.stdout().lines().filter(f -> Files.isRegularFile(Scripts.ROOT.resolve(f))).toList();
    }

    @Test
    void catalogueAliasesReachTheSameCommandsAsTheScripts() {
        String expected = "kafka.team-a.svc.cluster.local:9092\n";
        assertEquals(expected, Scripts.run("get_connection.java", "-n", "team-a").stdout());
        assertEquals(expected, Scripts.run("get-connection", "-n", "team-a").stdout());
        assertEquals(expected, Scripts.run("kafka-setup", "get-connection", "-n", "team-a").stdout());
        assertEquals(expected, Scripts.run("kafka-setup", "get_connection", "-n", "team-a").stdout());

        String yaml = Scripts.run("deploy.java", "prod", "--dry-run").stdout();
        assertEquals(yaml, Scripts.run("deploy", "prod", "--dry-run").stdout());
        assertEquals(yaml, Scripts.run("kafka-setup", "deploy", "prod", "--dry-run").stdout());

        Scripts.Result usage = Scripts.run("kafka-setup", "deploy", "staging");
        assertEquals(2, usage.exitCode(), usage.toString());
        assertTrue(usage.stderr().startsWith("deploy: "), usage.stderr());

        Scripts.Result unreachable = Scripts.run("kafka-setup", "verify", "--bootstrap-server", "127.0.0.1:1",
                "--timeout", "1s");
        assertEquals(1, unreachable.exitCode(), unreachable.toString());
        assertTrue(unreachable.stdout().startsWith("✗ "), unreachable.stdout());
        assertEquals(0, Scripts.run("create-topics", "--help").exitCode());
        assertEquals(0, Scripts.run("verify", "--help").exitCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"deploy.java", "create_topics.java", "verify.java", "get_connection.java", "kafka-setup"})
    void helpIsShortAndVersionNamesTheToolAndKafka(String command) {
        Scripts.Result help = Scripts.run(command, "--help");
        assertEquals(0, help.exitCode(), help.toString());
        assertTrue(help.stdout().lines().count() <= 30, help.stdout());
        Scripts.Result version = Scripts.run(command, "--version");
        assertEquals(0, version.exitCode(), version.toString());
        assertTrue(version.stdout().matches("kafka-k8s-setup \\S+ \\(Apache Kafka 4\\.4\\.0\\)\n"), version.stdout());
    }

    @Test
    void getConnectionOutputIsShortAndItsJsonCarriesTheSameFacts() {
        Scripts.Result line = Scripts.run("get_connection.java");
        assertTrue(Tokens.count(line.stdout()) <= 50, line.stdout());
        assertEquals("", line.stderr());
        Map<String, Object> json = JsonResult.parse(Scripts.run("get_connection.java", "--json"));
        assertEquals("ok", json.get("status"));
        assertEquals(line.stdout().strip(), json.get("connection"));
        assertEquals("kafka", json.get("namespace"));
    }

    @Test
    void aUsageErrorWithJsonIsExitTwoAndOneJsonObject() {
        Scripts.Result result = Scripts.run("deploy.java", "staging", "--json");
        assertEquals(2, result.exitCode(), result.toString());
        Map<String, Object> json = JsonResult.parse(result);
        assertEquals("error", json.get("status"));
        assertEquals(2, ((Number) json.get("exitCode")).intValue());
        assertTrue(json.get("error").toString().contains("staging"), json.toString());
    }

    @Test
    void aFailureWithJsonIsExitOneAndOneJsonObject() throws Exception {
        Path home = Files.createTempDirectory("no-kube");
        Scripts.Result result = Scripts.run(Map.of("KUBECONFIG", home.resolve("absent").toString()),
                Duration.ofMinutes(1), "deploy.java", "--json");
        assertEquals(1, result.exitCode(), result.toString());
        Map<String, Object> json = JsonResult.parse(result);
        assertEquals("error", json.get("status"));
        assertTrue(json.get("error").toString().contains("no kubeconfig"), json.toString());
    }
}
