package common.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of the fields deploy sets differ on the live object, as {@code kubectl diff} would show them without the
 * noise: a server-side apply owns exactly the fields it sends, so only those are compared, and what the server or
 * others add is no difference. Quantities compare by amount (a server writes 1000m as 1).
 */
public final class ObjectDiff {
    /** The field a path names for a person: the one below a container, the pod spec or the spec. */
    private static final Pattern FIELD = Pattern.compile(
            "\\.(?:spec\\.template\\.spec\\.containers\\[\\d+]|spec\\.template\\.spec|spec|metadata)\\.(\\w+)");

    /** One differing field: its JSON path ({@code .spec.replicas}) and its values, the live one first. */
    public record Change(String path, Object live, Object rendered) {
        /** "replicas 1→3", "image apache/kafka:4.3.2→apache/kafka:4.4.0", "resources", "template annotations" */
        public String describe() {
            if (path.startsWith(".spec.template.metadata")) {
                return "template " + lastName(path.replace(".spec.template.metadata", ""));
            }
            Matcher field = FIELD.matcher(path);
            String name = field.lookingAt() ? field.group(1) : lastName(path);
            boolean scalar = path.equals(".spec.replicas") || path.matches(".*containers\\[\\d+]\\.image");
            return scalar ? name + " " + live + "→" + rendered : name;
        }

        private static String lastName(String path) {
            String[] names = path.replaceAll("\\[\\d+]", "").split("\\.");
            return names.length < 2 ? path : names[1];
        }
    }

    private ObjectDiff() {
    }

    /** The fields of {@code rendered} that {@code live} lacks or holds otherwise, in the rendered order. */
    public static List<Change> changes(HasMetadata rendered, HasMetadata live, KubernetesSerialization serialization) {
        List<Change> changes = new ArrayList<>();
        compare("", serialization.convertValue(rendered, Map.class), serialization.convertValue(live, Map.class),
                changes);
        return changes;
    }

    /** The changes for a person, each field once: "replicas 1→3, resources, env". */
    public static List<String> describe(List<Change> changes) {
        return changes.stream().map(Change::describe).distinct().toList();
    }

    private static void compare(String path, Object rendered, Object live, List<Change> changes) {
        if (rendered instanceof Map<?, ?> fields) {
            Map<?, ?> liveFields = live instanceof Map<?, ?> map ? map : Map.of();
            // An empty label selector selects everything: one that still has terms selects less.
            if (fields.isEmpty() && !liveFields.isEmpty() && path.endsWith("Selector")) {
                changes.add(new Change(path, liveFields, fields));
                return;
            }
            fields.forEach((name, value) -> compare(path + "." + name, value, liveFields.get(name), changes));
        } else if (rendered instanceof List<?> items) {
            List<?> liveItems = live instanceof List<?> list ? list : List.of();
            if (items.size() != liveItems.size()) {
                changes.add(new Change(path, liveItems.size() + " items", items.size() + " items"));
                return;
            }
            for (int i = 0; i < items.size(); i++) {
                compare(path + "[" + i + "]", items.get(i), liveItems.get(i), changes);
            }
        } else if (rendered != null && !same(path, rendered, live)) {
            changes.add(new Change(path, live, rendered));
        }
    }

    private static boolean same(String path, Object rendered, Object live) {
        if (live == null) {
            return false;
        }
        if (Objects.equals(String.valueOf(rendered), String.valueOf(live))) {
            return true;
        }
        if (path.contains(".resources.") || path.contains(".capacity.")) {
            try {
                return Quantity.getAmountInBytes(new Quantity(String.valueOf(rendered)))
                        .compareTo(Quantity.getAmountInBytes(new Quantity(String.valueOf(live)))) == 0;
            } catch (IllegalArgumentException notQuantities) {
                return false;
            }
        }
        return false;
    }
}
