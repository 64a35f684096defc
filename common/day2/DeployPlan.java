package common.day2;

import common.cluster.KafkaManifests;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a deploy will do to the cluster it observed, in order: computed by {@link DeployPlanner} without a call, shown
 * by {@code deploy --plan}, carried out step by step by deploy itself.
 *
 * @param manifests the objects the cluster ends with
 * @param steps     in the order deploy takes them
 * @param leftUpTo  brokers below this ordinal and at or above the new size are leaving (a shrink, or one an
 *                  interrupted deploy left): 0 when none
 * @param removed   the brokers this deploy's shrink removes
 */
public record DeployPlan(KafkaManifests manifests, List<DeployStep> steps, int leftUpTo, int removed) {

    /** Whether nothing would change (a plan may still wait for brokers to be Ready). */
    public boolean nothingToDo() {
        return steps.stream().noneMatch(DeployStep::changes);
    }

    /** The step of that kind, if the plan has one. */
    public <T extends DeployStep> Optional<T> step(Class<T> kind) {
        return steps.stream().filter(kind::isInstance).map(kind::cast).findFirst();
    }

    /** The steps, numbered, then what a person most needs to know. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            lines.add((i + 1) + ". " + steps.get(i).describe());
        }
        lines.add(summary());
        return lines;
    }

    /** "plan: nothing to do", "plan: 4 steps", "plan: 6 steps; 3 brokers restarted one at a time; data deleted" */
    public String summary() {
        if (nothingToDo()) {
            return "plan: nothing to do";
        }
        int restarted = step(DeployStep.Restart.class).map(restart -> restart.order().size())
                .or(() -> step(DeployStep.ControllerRoll.class).map(roll -> roll.pods().size())).orElse(0);
        int restartedTogether = step(DeployStep.RestartAll.class).map(all -> all.pods().size()).orElse(0);
        boolean dataLost = step(DeployStep.Recreate.class).isPresent()
                || step(DeployStep.DeleteVolumes.class).isPresent();
        return "plan: " + DeployStep.Names.count(steps.size(), "step")
                + (restarted == 0 ? "" : "; " + DeployStep.Names.count(restarted, "broker") + " restarted"
                        + (restarted == 1 ? "" : " one at a time"))
                + (restartedTogether == 0 ? "" : "; " + restartedTogether + " brokers restarted at once")
                + (dataLost ? "; data deleted" : "");
    }

    /** The steps as data. */
    public List<Map<String, Object>> facts() {
        return steps.stream().map(DeployStep::facts).toList();
    }
}
