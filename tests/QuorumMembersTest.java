package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import common.kafka.QuorumMembers;
import java.lang.reflect.Constructor;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

/**
 * Decisions over a described quorum, on Kafka's own QuorumInfo. The quorum's timestamps are on the leader's clock (its own entry's last fetch is its "now"): whether a member is
 * fetching, and how long ago it caught up, are measured on that clock, never on this machine's, which may be
 * minutes off (a laptop's VM after sleep). The leader's clock here is 25 years behind this machine's; before, every
 * member read as stopped long ago and a node back on replaced storage went unseen.
 */
class QuorumMembersTest {
    private static final long LEADER_NOW = 1_000_000_000_000L;
    private static final Uuid OLD_DISK = Uuid.randomUuid();
    private static final Uuid NEW_DISK = Uuid.randomUuid();

    @Test
    void aVoterBackOnReplacedStorageIsSeenWhateverThisMachinesClockSays() throws Exception {
        QuorumInfo quorum = quorum(List.of(member(0, Uuid.randomUuid(), LEADER_NOW, LEADER_NOW),
                member(1, Uuid.randomUuid(), LEADER_NOW - 200, LEADER_NOW - 200),
                member(2, OLD_DISK, LEADER_NOW - 60_000, LEADER_NOW - 60_000)),
                List.of(member(2, NEW_DISK, LEADER_NOW - 300, LEADER_NOW - 300)));
        assertEquals(List.of(2), QuorumMembers.replacedVoters(quorum));
    }

    @Test
    void caughtUpAgesAreMeasuredOnTheLeadersClock() throws Exception {
        QuorumInfo quorum = quorum(List.of(member(0, Uuid.randomUuid(), LEADER_NOW, LEADER_NOW),
                member(1, Uuid.randomUuid(), LEADER_NOW - 200, LEADER_NOW - 1_500)), List.of());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> voters = (List<Map<String, Object>>) QuorumMembers.facts(quorum).get("voters");
        assertEquals(List.of(0L, 1_500L), voters.stream().map(voter -> voter.get("caughtUpMsAgo")).toList());
    }

    /**
     * A voter restarts only while the others are a caught-up majority: with one of three lagging, restarting a
     * second would leave the metadata quorum unable to commit until one of them is back.
     */
    @Test
    void aVoterMayRestartOnlyWhileTheOthersAreACaughtUpMajority() throws Exception {
        QuorumInfo allCaughtUp = quorum(List.of(member(0, Uuid.randomUuid(), LEADER_NOW, LEADER_NOW),
                member(1, Uuid.randomUuid(), LEADER_NOW - 200, LEADER_NOW - 200),
                member(2, Uuid.randomUuid(), LEADER_NOW - 300, LEADER_NOW - 300)),
                List.of(member(3, Uuid.randomUuid(), LEADER_NOW - 60_000, LEADER_NOW - 60_000)));
        assertEquals(List.of(true, true, true, true), List.of(0, 1, 2, 3).stream()
                .map(id -> QuorumMembers.majorityWithout(allCaughtUp, id)).toList());
        QuorumInfo oneLagging = quorum(List.of(member(0, Uuid.randomUuid(), LEADER_NOW, LEADER_NOW),
                member(1, Uuid.randomUuid(), LEADER_NOW - 200, LEADER_NOW - 30_000),
                member(2, Uuid.randomUuid(), LEADER_NOW - 300, LEADER_NOW - 300)), List.of());
        assertEquals(List.of(false, true, false), List.of(0, 1, 2).stream()
                .map(id -> QuorumMembers.majorityWithout(oneLagging, id)).toList(),
                "only the lagging voter itself may restart");
    }

    private static QuorumInfo.ReplicaState member(int id, Uuid directory, long lastFetch, long lastCaughtUp)
            throws Exception {
        Constructor<QuorumInfo.ReplicaState> constructor = QuorumInfo.ReplicaState.class.getDeclaredConstructor(
                int.class, Uuid.class, long.class, OptionalLong.class, OptionalLong.class);
        constructor.setAccessible(true);
        return constructor.newInstance(id, directory, 100L, OptionalLong.of(lastFetch),
                OptionalLong.of(lastCaughtUp));
    }

    /** What describeMetadataQuorum returns (its constructor is Kafka's own), with node 0 leading. */
    private static QuorumInfo quorum(List<QuorumInfo.ReplicaState> voters, List<QuorumInfo.ReplicaState> observers)
            throws Exception {
        Constructor<QuorumInfo> constructor = QuorumInfo.class.getDeclaredConstructor(int.class, long.class,
                long.class, List.class, List.class, Map.class);
        constructor.setAccessible(true);
        return constructor.newInstance(0, 5L, 100L, voters, observers, Map.of());
    }
}
