package common.day2;

import common.cli.CommandFailure;
import common.kafka.KafkaAccess;
import common.kafka.QuorumMembers;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.RaftVoterEndpoint;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnknownServerException;

/**
 * Changes a dynamic KRaft quorum's voters through the Admin API (brokers forward the requests to the active
 * controller), one voter at a time, each change waited for. Every method looks first and refuses, changing nothing,
 * when the quorum is not in a state to take the change; run again after an interruption, it carries on where the
 * quorum is.
 */
public final class QuorumChange {
    /** An advertised listener: {@code NAME://host:port}, an IPv6 host in brackets. */
    private static final Pattern ENDPOINT = Pattern.compile("([A-Za-z0-9_]+)://\\[?([^\\]]*?)\\]?:(\\d+)");
    private final KafkaAccess kafka;
    private final Consumer<String> progress;

    public QuorumChange(KafkaAccess kafka, Consumer<String> progress) {
        this.kafka = kafka;
        this.progress = progress;
    }

    /**
     * Makes every node of {@code ids} a voter. Refuses unless every current voter is caught up and every node to add
     * is up; then adds the observers one at a time, lowest id first, each once it has caught up.
     * A node whose voter entry names other storage (its disk was replaced) is refused: see {@link #replace}.
     *
     * @return the ids it added; empty when all were voters already
     */
    public List<Integer> addVoters(Set<Integer> ids, long deadline) {
        return addVoters(ids, null, deadline);
    }

    private List<Integer> addVoters(Set<Integer> ids, Uuid removedDirectory, long deadline) {
        QuorumInfo quorum = quorum();
        List<Integer> replaced = QuorumMembers.replacedVoters(quorum).stream().filter(ids::contains).toList();
        if (!replaced.isEmpty()) {
            throw new CommandFailure("voter " + join(replaced) + " runs on new storage; replace it first "
                    + "(deploy prod does)");
        }
        Set<Integer> voters = ids(quorum.voters());
        List<Integer> toAdd = ids.stream().filter(id -> !voters.contains(id)).sorted().toList();
        if (!toAdd.isEmpty()) {
            // The voters must be in shape now; a node to add must be up, and is waited for while it catches up.
            List<Integer> involved = new ArrayList<>(voters);
            involved.addAll(toAdd);
            Set<Integer> brokers = registeredBrokers();
            requireRegistered(brokers, involved, "cannot add voters");
            requireCaughtUp(quorum, brokers, List.copyOf(voters), "cannot add voters");
        }
        List<Integer> added = new ArrayList<>();
        for (int id : toAdd) {
            QuorumInfo.ReplicaState observer = awaitCaughtUpObserver(id, removedDirectory, deadline);
            progress.accept("adding node " + id + " to the KRaft voters (" + (voters.size() + added.size()) + " → "
                    + (voters.size() + added.size() + 1) + ")");
            RaftVoterEndpoint endpoint = controllerEndpoint(id);
            change(() -> kafka.admin().addRaftVoter(id, observer.replicaDirectoryId(), Set.of(endpoint)).all(),
                    q -> ids(q.voters()).contains(id), "adding voter " + id, "node " + id + " to show as a voter",
                    deadline);
            added.add(id);
        }
        return added;
    }

    /**
     * Removes the voters {@code ids}, one at a time. Kafka commits a removal on a majority of the voters that remain
     * (KRaft's RemoveVoterHandler), and every later metadata record too: the voters that are down or behind leave
     * first, then the others, highest first, so that each set on the way has a majority that is up and caught up.
     * Refuses, changing nothing, unless every voter that stays is caught up and each set on the way has that
     * majority, and never removes the last voter.
     *
     * @return the ids it removed; empty when none was a voter
     */
    public List<Integer> removeVoters(Set<Integer> ids, long deadline) {
        QuorumInfo quorum = quorum();
        Set<Integer> brokers = registeredBrokers();
        long now = QuorumMembers.leaderNow(quorum);
        Predicate<Integer> live = id -> brokers.contains(id)
                && member(quorum, id).filter(member -> QuorumMembers.caughtUp(member, now)).isPresent();
        List<Integer> staying = quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                .filter(id -> !ids.contains(id)).toList();
        if (!staying.isEmpty()) {
            requireCaughtUp(quorum, brokers, staying, "cannot remove voters");
        }
        List<Integer> removed = new ArrayList<>();
        for (int id : removalOrder(ids(quorum.voters()), live, ids)) {
            QuorumInfo.ReplicaState voter = quorum.voters().stream().filter(v -> v.replicaId() == id).findFirst()
                    .orElseThrow();
            remove(voter, "node " + id, deadline);
            removed.add(id);
        }
        return removed;
    }

    /**
     * The order in which to remove the voters {@code ids}: Kafka commits a removal on a majority of the voters that
     * remain (KRaft's RemoveVoterHandler), and every later metadata record too, so the voters that are not
     * {@code live} (down or behind) leave first, then the others, highest first, so that each set on the way has a
     * majority that is up and caught up. Refuses, naming the node that must come back, when a set on the way would
     * not, and never removes the last voter.
     */
    public static List<Integer> removalOrder(Set<Integer> voters, Predicate<Integer> live, Set<Integer> ids) {
        List<Integer> order = voters.stream().filter(ids::contains)
                .sorted(Comparator.comparing((Integer id) -> live.test(id)).thenComparing(Comparator.reverseOrder()))
                .toList();
        if (!order.isEmpty() && order.size() == voters.size()) {
            throw new CommandFailure("cannot remove every KRaft voter (" + join(voters) + ")");
        }
        Set<Integer> remaining = new TreeSet<>(voters);
        for (int id : order) {
            remaining.remove(id);
            List<Integer> down = remaining.stream().filter(live.negate()).toList();
            if (2 * (remaining.size() - down.size()) <= remaining.size()) {
                throw new CommandFailure("cannot remove voters: the voters " + join(remaining) + " left after "
                        + "removing node " + id + " would have no majority up and caught up; node "
                        + join(down) + " must come back first; nothing changed");
            }
        }
        return order;
    }

    /** Replaces every voter of {@code ids} whose node is back on new storage (see {@link #replace}), one at a time. */
    public void replaceVoters(Set<Integer> ids, long deadline) {
        for (int id : QuorumMembers.replacedVoters(quorum()).stream().filter(ids::contains).sorted().toList()) {
            replace(id, deadline);
        }
    }

    /**
     * A node back on new storage (an observer with its old voter's id, see {@link QuorumMembers#replacedVoters}):
     * removes the old voter, then adds the node as it is now, once caught up.
     */
    public void replace(int id, long deadline) {
        QuorumInfo quorum = quorum();
        if (!QuorumMembers.replacedVoters(quorum).contains(id)) {
            throw new CommandFailure("node " + id + " is not a voter on replaced storage");
        }
        QuorumInfo.ReplicaState old = quorum.voters().stream().filter(v -> v.replicaId() == id).findFirst()
                .orElseThrow();
        // Its new storage is added back as soon as the old is out: the node must be a broker again first (on an
        // empty disk it fetches the metadata as an observer a while before it registers).
        awaitRegistered(id, deadline, "node " + id + " on its new storage to register as a broker");
        requireCaughtUp(quorum(), registeredBrokers(), ids(quorum.voters()).stream().filter(v -> v != id).toList(),
                "cannot replace voter " + id);
        remove(old, "node " + id + "'s old storage", deadline);
        addVoters(Set.of(id), old.replicaDirectoryId(), deadline);
    }

    /** One voter out of the quorum, waited for until the quorum no longer lists it. */
    private void remove(QuorumInfo.ReplicaState voter, String what, long deadline) {
        int id = voter.replicaId();
        progress.accept("removing " + what + " from the KRaft voters");
        change(() -> kafka.admin().removeRaftVoter(id, voter.replicaDirectoryId()).all(),
                q -> !ids(q.voters()).contains(id), "removing voter " + id, what + " to leave the voters", deadline);
    }

    /**
     * Sends one voter change and waits until the quorum shows it. The change may be lost on the way: the active
     * controller resigns when it removes itself, or moves, and a broker then forwards a blank unknown server error
     * (or a retriable one). The quorum is read again then, and the change sent again only if it did not happen.
     */
    private void change(Supplier<KafkaFuture<Void>> request, Predicate<QuorumInfo> done, String sending,
            String showing, long deadline) {
        while (true) {
            try {
                kafka.await(request.get(), sending);
                break;
            } catch (CommandFailure failure) {
                boolean lost = failure.getCause() instanceof RetriableException
                        || failure.getCause() instanceof UnknownServerException;
                if (!lost || System.nanoTime() > deadline) {
                    throw failure;
                }
                if (done.test(quorum())) {
                    break;
                }
                progress.accept(sending + " again: " + failure.getMessage());
                pause(sending);
            }
        }
        awaitQuorum(done, deadline, showing);
    }

    /**
     * Where the other voters reach node {@code id}'s controller: the endpoint it advertises itself (every node is
     * also a broker, whose configuration the Admin API reads), as {@code kafka-metadata-quorum add-controller} takes
     * it from the node's own configuration.
     */
    private RaftVoterEndpoint controllerEndpoint(int id) {
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, String.valueOf(id));
        Config config = kafka.await(kafka.admin().describeConfigs(List.of(broker)).all(),
                "reading node " + id + "'s listeners").get(broker);
        String listener = config.get("controller.listener.names").value().split(",")[0].trim();
        for (String advertised : config.get("advertised.listeners").value().split(",")) {
            Matcher endpoint = ENDPOINT.matcher(advertised.trim());
            if (endpoint.matches() && endpoint.group(1).equals(listener)) {
                return new RaftVoterEndpoint(listener, endpoint.group(2), Integer.parseInt(endpoint.group(3)));
            }
        }
        throw new CommandFailure("node " + id + " does not advertise its controller listener " + listener);
    }

    private void awaitRegistered(int id, long deadline, String what) {
        while (!registeredBrokers().contains(id)) {
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("timed out waiting for " + what + "; nothing changed");
            }
            progress.accept("waiting for " + what);
            pause("waiting for " + what);
        }
    }

    /** The registered, unfenced brokers (a stopped one is fenced within seconds). */
    private Set<Integer> registeredBrokers() {
        return kafka.await(kafka.admin().describeCluster().nodes(), "reading the brokers").stream()
                .map(org.apache.kafka.common.Node::id).collect(Collectors.toSet());
    }

    /** Every node of {@code ids} is among the registered {@code brokers}. */
    private static void requireRegistered(Set<Integer> brokers, List<Integer> ids, String refusal) {
        List<Integer> down = ids.stream().filter(id -> !brokers.contains(id)).toList();
        if (!down.isEmpty()) {
            throw new CommandFailure(refusal + ": node " + join(down) + " is down (not a registered broker); "
                    + "nothing changed");
        }
    }

    /**
     * Every node of {@code ids} is registered and, as a voter or observer, fetching from the leader and at its log
     * end within the last seconds.
     */
    private static void requireCaughtUp(QuorumInfo quorum, Set<Integer> brokers, List<Integer> ids,
            String refusal) {
        requireRegistered(brokers, ids, refusal);
        long now = QuorumMembers.leaderNow(quorum);
        List<Integer> behind = ids.stream().filter(id -> member(quorum, id).filter(member -> QuorumMembers.caughtUp(member, now))
                .isEmpty()).toList();
        if (!behind.isEmpty()) {
            throw new CommandFailure(refusal + ": node " + join(behind) + " is not caught up with the quorum leader "
                    + quorum.leaderId() + " (down, starting, or lagging); nothing changed");
        }
    }


    /**
     * Node {@code id} as an observer that fetches and is caught up. The leader keeps listing a replica it stopped
     * hearing from (a removed voter's old storage) for a while, under the same id: only the one fetching now counts,
     * and never the storage {@code notDirectory} that was just removed.
     */
    private QuorumInfo.ReplicaState awaitCaughtUpObserver(int id, Uuid notDirectory, long deadline) {
        java.util.function.Function<QuorumInfo, Optional<QuorumInfo.ReplicaState>> live = q -> {
            long now = QuorumMembers.leaderNow(q);
            return q.observers().stream().filter(o -> o.replicaId() == id
                    && !o.replicaDirectoryId().equals(notDirectory) && QuorumMembers.caughtUp(o, now))
                    .max(java.util.Comparator.comparingLong(o -> o.lastFetchTimestamp().getAsLong()));
        };
        return live.apply(awaitQuorum(q -> live.apply(q).isPresent(), deadline,
                "node " + id + " to catch up as an observer")).orElseThrow();
    }

    private QuorumInfo awaitQuorum(Predicate<QuorumInfo> condition, long deadline, String what) {
        while (true) {
            QuorumInfo quorum = quorum();
            if (condition.test(quorum)) {
                return quorum;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure("timed out waiting for " + what);
            }
            progress.accept("waiting for " + what);
            pause("waiting for " + what);
        }
    }

    private static void pause(String doing) {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted " + doing);
        }
    }

    private QuorumInfo quorum() {
        return kafka.await(kafka.admin().describeMetadataQuorum().quorumInfo(), "reading the quorum");
    }

    private static Optional<QuorumInfo.ReplicaState> member(QuorumInfo quorum, int id) {
        return java.util.stream.Stream.concat(quorum.voters().stream(), quorum.observers().stream())
                .filter(member -> member.replicaId() == id).findFirst();
    }

    private static Set<Integer> ids(List<QuorumInfo.ReplicaState> members) {
        return members.stream().map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String join(java.util.Collection<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
