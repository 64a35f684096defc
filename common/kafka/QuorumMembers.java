package common.kafka;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.QuorumInfo;

/**
 * The KRaft metadata quorum as {@code --json} reports it: the leader, then each voter and observer with how far its
 * metadata log trails the leader's (in records) and how long ago it was last caught up.
 */
public final class QuorumMembers {
    /** Fetched this recently to count as there. */
    static final long FETCHING_MS = 3_000;
    /** A voter or observer counts as caught up when it reached the leader's log end this recently. */
    static final long CAUGHT_UP_MS = 5_000;

    private QuorumMembers() {
    }

    /** The quorum's facts, the caught-up ages measured on the leader's clock. */
    public static Map<String, Object> facts(QuorumInfo quorum) {
        long nowMillis = leaderNow(quorum);
        long leaderEnd = quorum.voters().stream().filter(voter -> voter.replicaId() == quorum.leaderId())
                .mapToLong(QuorumInfo.ReplicaState::logEndOffset).findFirst().orElse(quorum.highWatermark());
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("leader", quorum.leaderId() < 0 ? null : quorum.leaderId());
        facts.put("epoch", quorum.leaderEpoch());
        facts.put("voters", members(quorum.voters(), leaderEnd, nowMillis));
        facts.put("observers", members(quorum.observers(), leaderEnd, nowMillis));
        return facts;
    }

    /**
     * Voters whose node now runs on other storage: an observer with the voter's id and another directory id (a
     * replaced disk, formatted anew). The quorum still counts the old voter, which no longer exists.
     */
    public static List<Integer> replacedVoters(QuorumInfo quorum) {
        long now = leaderNow(quorum);
        return quorum.voters().stream().filter(voter -> quorum.observers().stream().anyMatch(observer ->
                observer.replicaId() == voter.replicaId() && fetching(observer, now)
                        && !observer.replicaDirectoryId().equals(voter.replicaDirectoryId())))
                .map(QuorumInfo.ReplicaState::replicaId).toList();
    }

    /**
     * The leader's clock when it described the quorum: its own entry's last fetch is its "now" (KRaft's
     * LeaderState), and every other entry's timestamps are on that clock too. Ages measured against this machine's
     * clock would be wrong by however far the two clocks are apart (a laptop's VM after sleep, broken NTP). Falls
     * back to this machine's clock while no leader is known.
     */
    public static long leaderNow(QuorumInfo quorum) {
        return quorum.voters().stream().filter(voter -> voter.replicaId() == quorum.leaderId())
                .map(QuorumInfo.ReplicaState::lastFetchTimestamp).filter(java.util.OptionalLong::isPresent)
                .mapToLong(java.util.OptionalLong::getAsLong).findFirst().orElseGet(System::currentTimeMillis);
    }

    /**
     * Whether a voter or observer fetched from the leader within the last seconds (followers and observers fetch
     * continuously). The leader keeps listing storage it stopped hearing from, such as a removed voter's, for a
     * while: only fetching members are there.
     */
    public static boolean fetching(QuorumInfo.ReplicaState member, long nowMillis) {
        return member.lastFetchTimestamp().isPresent()
                && nowMillis - member.lastFetchTimestamp().getAsLong() <= FETCHING_MS;
    }

    /** Fetching from the leader, and at its log end, within the last seconds of {@code nowMillis}. */
    public static boolean caughtUp(QuorumInfo.ReplicaState member, long nowMillis) {
        return fetching(member, nowMillis) && member.lastCaughtUpTimestamp().isPresent()
                && nowMillis - member.lastCaughtUpTimestamp().getAsLong() <= CAUGHT_UP_MS;
    }

    /**
     * Whether the voters other than {@code id} that are caught up are a majority of all the voters: then the
     * quorum goes on committing while node {@code id} restarts (Strimzi's roller asks the same before restarting a
     * controller). Always true for a node that is no voter.
     */
    public static boolean majorityWithout(QuorumInfo quorum, int id) {
        if (quorum.voters().stream().noneMatch(voter -> voter.replicaId() == id)) {
            return true;
        }
        long now = leaderNow(quorum);
        long others = quorum.voters().stream().filter(voter -> voter.replicaId() != id)
                .filter(voter -> caughtUp(voter, now)).count();
        return 2 * others > quorum.voters().size();
    }

    private static List<Map<String, Object>> members(List<QuorumInfo.ReplicaState> replicas, long leaderEnd,
            long nowMillis) {
        return replicas.stream().map(replica -> {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("id", replica.replicaId());
            member.put("lag", Math.max(0, leaderEnd - replica.logEndOffset()));
            replica.lastCaughtUpTimestamp().ifPresent(at -> member.put("caughtUpMsAgo", Math.max(0, nowMillis - at)));
            return member;
        }).toList();
    }
}
