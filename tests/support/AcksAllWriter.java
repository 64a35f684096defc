package tests.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An acks=all producer writing steadily, without retries, so that every NotEnoughReplicas reaches its
 * callback; it remembers what was acknowledged.
 */
public final class AcksAllWriter implements AutoCloseable {
    public final AtomicInteger notEnoughReplicas = new AtomicInteger();
    public final AtomicInteger otherErrors = new AtomicInteger();
    public final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final String bootstrapServers;
    private final String topic;
    private final KafkaProducer<String, String> producer;
    private final Thread loop;
    private volatile boolean writing = true;

    public AcksAllWriter(String bootstrapServers, String topic, int recordBytes, int recordsPerSecond) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.RETRIES_CONFIG, "0");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        String padding = "x".repeat(recordBytes);
        loop = new Thread(() -> {
            for (int i = 0; writing; i++) {
                String value = "record-" + i + "-" + padding;
                String id = "record-" + i;
                producer.send(new ProducerRecord<>(topic, id, value), (metadata, error) -> {
                    if (error == null) {
                        acknowledged.add(id);
                    } else if (error instanceof NotEnoughReplicasException
                            || error instanceof NotEnoughReplicasAfterAppendException) {
                        notEnoughReplicas.incrementAndGet();
                    } else {
                        otherErrors.incrementAndGet();
                    }
                });
                try {
                    Thread.sleep(1000 / recordsPerSecond);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "acks-all-writer");
        loop.start();
    }

    public void awaitWrites(int more) throws InterruptedException {
        int target = acknowledged.size() + more;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acknowledged.size() < target && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** Every acknowledged record can be read back: none lost in the roll. */
    public void assertEveryAcknowledgedRecordIsThere() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "roll-check-" + System.nanoTime());
        Set<String> read = ConcurrentHashMap.newKeySet();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!read.containsAll(acknowledged) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(record -> read.add(record.key()));
            }
        }
        Set<String> lost = new java.util.HashSet<>(acknowledged);
        lost.removeAll(read);
        assertEquals(Set.of(), lost, "acknowledged records lost");
    }

    @Override
    public void close() throws InterruptedException {
        writing = false;
        loop.join(5_000);
        producer.close(Duration.ofSeconds(20));
    }

    @Override
    public String toString() {
        return acknowledged.size() + " acknowledged, " + notEnoughReplicas.get() + " NotEnoughReplicas, "
                + otherErrors.get() + " other errors";
    }
}
