package common.kafka;

import common.LearnFlowTopics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * A SCRAM user and the ACLs of an application on a secure cluster: write and read on the LearnFlow topics, and the
 * consumer groups named after it; nothing else. Both calls are idempotent: an upsert, and ACLs Kafka keeps once.
 */
public final class UserAccess {
    /** Kafka's recommended minimum for SCRAM-SHA-512. */
    private static final int ITERATIONS = 8192;

    private UserAccess() {
    }

    /** Sets the user's password and its ACLs. */
    public static void grant(KafkaAccess kafka, String user, String password) {
        setPassword(kafka, user, password);
        kafka.await(kafka.admin().createAcls(acls(user)).all(), "granting user " + user + " its ACLs");
    }

    /** Sets the user's SCRAM-SHA-512 password (Kafka keeps it in the metadata log, whatever the listeners). */
    public static void setPassword(KafkaAccess kafka, String user, String password) {
        UserScramCredentialAlteration upsert = new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, ITERATIONS), password);
        kafka.await(kafka.admin().alterUserScramCredentials(List.of(upsert)).all(),
                "setting the password of user " + user);
    }

    /** Read, write and describe each LearnFlow topic; read the groups whose names start with the user's. */
    public static List<AclBinding> acls(String user) {
        String principal = "User:" + user;
        List<AclBinding> acls = new ArrayList<>();
        for (LearnFlowTopics.Topic topic : LearnFlowTopics.ALL) {
            for (AclOperation operation : List.of(AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE)) {
                acls.add(allow(new ResourcePattern(ResourceType.TOPIC, topic.name(), PatternType.LITERAL),
                        principal, operation));
            }
        }
        acls.add(allow(new ResourcePattern(ResourceType.GROUP, user, PatternType.PREFIXED), principal,
                AclOperation.READ));
        return acls;
    }

    private static AclBinding allow(ResourcePattern resource, String principal, AclOperation operation) {
        return new AclBinding(resource, new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
    }
}
