package common;

import java.util.List;

/** The LearnFlow event topics and their partition counts (from the LearnFlow specification). */
public final class LearnFlowTopics {
    public record Topic(String name, int partitions) {
    }

    public static final List<Topic> ALL = List.of(
            new Topic("learning.concept.request", 3),
            new Topic("learning.concept.response", 3),
            new Topic("code.execution.request", 2),
            new Topic("code.execution.result", 2),
            new Topic("user.progress.update", 1),
            new Topic("struggle.detected", 1),
            new Topic("exercise.generated", 2));

    private LearnFlowTopics() {
    }
}
