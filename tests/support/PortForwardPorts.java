package tests.support;

import common.cluster.KafkaEndpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The port-forwards' local ports are fixed (the brokers advertise {@code localhost:19092 + ordinal}), so there is one
 * set per machine: two test runs at once (two clones) would take each other's, and a user's own
 * {@code get_connection --port-forward} holds them. A stand-in API server, the only way a script port-forwards in
 * the tests, holds a lock shared by every test run on this machine while it lives, and starts only when the ports
 * are free, saying plainly which one is held otherwise.
 */
public final class PortForwardPorts {
    private static final Path LOCK = Path.of(System.getProperty("java.io.tmpdir"),
            "kafka-k8s-setup-port-forwards.lock");
    /** As many brokers as the tests' clusters run at most. */
    private static final int PORTS = 8;
    private static int holders;
    private static FileChannel channel;
    private static FileLock lock;

    private PortForwardPorts() {
    }

    /** Takes the ports for this test run (waiting while another run has them); reentrant within the run. */
    public static synchronized void acquire() {
        if (holders++ > 0) {
            return;
        }
        try {
            boolean shared = open();
            lock = channel.tryLock(0, Long.MAX_VALUE, shared);
            if (lock == null) {
                System.out.println("waiting for another test run on this machine to free localhost:"
                        + KafkaEndpoints.PORT_FORWARD_BASE + "+ (" + LOCK + ")");
                lock = channel.lock(0, Long.MAX_VALUE, shared);
            }
            for (int port = KafkaEndpoints.PORT_FORWARD_BASE; port < KafkaEndpoints.PORT_FORWARD_BASE + PORTS;
                    port++) {
                if (!free(port)) {
                    throw new IllegalStateException("localhost:" + port + " is held by another program (a "
                            + "get_connection --port-forward?): the tests with port-forwards need localhost:"
                            + KafkaEndpoints.PORT_FORWARD_BASE + "-" + (KafkaEndpoints.PORT_FORWARD_BASE + PORTS - 1));
                }
            }
        } catch (IOException | RuntimeException e) {
            release();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * Opens the lock file, made writable for every user (the ports are the machine's, whoever runs the tests).
     * One another user made without that can still be read: a shared lock then excludes their exclusive one.
     *
     * @return whether only a shared lock can be taken
     */
    private static boolean open() throws IOException {
        try {
            channel = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                Files.setPosixFilePermissions(LOCK, PosixFilePermissions.fromString("rw-rw-rw-"));
            } catch (IOException | UnsupportedOperationException notOurs) {
                // another user's file, or no POSIX permissions: it stays as it is
            }
            return false;
        } catch (AccessDeniedException readOnly) {
            channel = FileChannel.open(LOCK, StandardOpenOption.READ);
            return true;
        }
    }

    public static synchronized void release() {
        if (--holders > 0) {
            return;
        }
        try {
            if (lock != null) {
                lock.release();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            lock = null;
            channel = null;
        }
    }

    private static boolean free(int port) {
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException held) {
            return false;
        }
    }
}
