///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// Sources are UTF-8 (they hold ✓, ✗, →) whatever the locale: JDK 17's javac reads them in the locale's charset.
//JAVAC_OPTIONS -encoding UTF-8
//DEPS org.junit.platform:junit-platform-launcher:6.1.3
//DEPS org.junit.jupiter:junit-jupiter:6.1.3
//DEPS info.picocli:picocli:4.7.7
//DEPS io.fabric8:kubernetes-client:8.0.0
//DEPS io.fabric8:kubernetes-httpclient-jdk:8.0.0
//DEPS io.fabric8:kubernetes-server-mock:8.0.0
//DEPS org.apache.kafka:kafka-clients:4.4.0
//DEPS org.slf4j:slf4j-nop:2.0.20
//DEPS com.knuddels:jtokkit:1.1.0
//DEPS io.modelcontextprotocol.sdk:mcp:2.1.0
//DEPS org.bouncycastle:bcpkix-jdk18on:1.87
//SOURCES ../common/*.java ../common/*/*.java ../common/cluster/certificates/*.java
//SOURCES *Test.java *Contract.java support/*.java

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the project's JUnit tests: every test class in package {@code tests}, or the classes named as arguments
 * (e.g. {@code ManifestsTest}). Prints one line per test and ends with "N passed, N failed".
 */
public class run_tests {
    public static void main(String... args) {
        // The stand-in API server logs every request through java.util.logging: keep the report readable.
        java.util.logging.LogManager.getLogManager().reset();
        List<DiscoverySelector> selectors = args.length == 0
                ? List.of(selectPackage("tests"))
                : Arrays.stream(args).map(name -> (DiscoverySelector) selectClass("tests." + name)).toList();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, summary, new ResultPrinter());

        TestExecutionSummary totals = summary.getSummary();
        totals.printFailuresTo(new PrintWriter(System.out), 20);
        long failed = totals.getTestsFailedCount() + totals.getContainersFailedCount();
        System.out.println(totals.getTestsSucceededCount() + " passed, " + failed + " failed"
                + (totals.getTestsSkippedCount() > 0 ? ", " + totals.getTestsSkippedCount() + " skipped" : ""));
        System.exit(failed == 0 && totals.getTestsFoundCount() > 0 ? 0 : 1);
    }

    /** One line per finished test, so a long run shows where it is. */
    static final class ResultPrinter implements TestExecutionListener {
        @Override
        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (test.isTest() || result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                String owner = test.getUniqueId().replaceAll(".*class:tests\\.([A-Za-z0-9_$]+).*", "$1");
                System.out.printf("%-10s %s > %s%n", result.getStatus(), owner, test.getLegacyReportingName());
                // The reason at once, not only in the summary: a long run shows why while it goes on.
                result.getThrowable().ifPresent(failure -> String.valueOf(failure.getMessage()).lines().limit(8)
                        .forEach(line -> System.out.println("           " + line)));
                System.out.flush();
            }
        }
    }
}
