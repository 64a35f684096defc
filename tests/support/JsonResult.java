package tests.support;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;

/** Parses a command's --json output: exactly one JSON object on stdout. */
public final class JsonResult {
    private JsonResult() {
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> parse(Scripts.Result result) {
        String stdout = result.stdout().strip();
        if (!stdout.startsWith("{") || stdout.lines().count() != 1) {
            throw new AssertionError("expected one JSON object on stdout: " + result);
        }
        return new KubernetesSerialization().unmarshal(stdout, Map.class);
    }
}
