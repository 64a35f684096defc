package tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tests.support.ApiServer;
import tests.support.Scripts;

/**
 * {@code get_connection --port-forward} against the stand-in API server: it opens a local listener per broker,
 * prints the local bootstrap address and holds until stopped. No pod runs here: the bytes a forward carries to a
 * broker are in {@code GrowInPlaceTest} and {@code PortForwardReuseTest}, whose stand-in kubelet serves the stream.
 */
class PortForwardTest {
    @Test
    void printsTheLocalBootstrapAddressAndHoldsTheForwardsOpen() throws Exception {
        try (ApiServer api = new ApiServer()) {
            assertEquals(0, Scripts.run(api.environment(), java.time.Duration.ofMinutes(2), "deploy.java", "prod",
                    "--no-wait").exitCode());
            Process process = Scripts.start(api.environment(), "get_connection.java", "--port-forward");
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8));
                assertEquals("localhost:19092", out.readLine());
                assertTrue(process.isAlive(), "holds the forwards until interrupted");
                for (int port = 19092; port <= 19094; port++) {
                    try (Socket socket = new Socket("127.0.0.1", port)) {
                        assertTrue(socket.isConnected(), "a local listener on " + port);
                    }
                    assertEquals(List.of("127.0.0.1"), listeningAddresses(port),
                            "only the loopback address, as kubectl: the listener is plaintext");
                }
            } finally {
                process.destroy();
                assertTrue(process.waitFor(20, TimeUnit.SECONDS), "stops when interrupted");
            }
        }
    }

    /** The local addresses sockets listen on for a port, from the kernel's table (/proc/net/tcp and tcp6). */
    private static List<String> listeningAddresses(int port) throws Exception {
        String portHex = String.format(":%04X", port);
        List<String> addresses = new java.util.ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                // local_address is "HEXADDR:HEXPORT"; state 0A is LISTEN.
                if (fields.length > 3 && fields[1].endsWith(portHex) && fields[3].equals("0A")) {
                    addresses.add(decode(fields[1].substring(0, fields[1].indexOf(':'))));
                }
            }
        }
        return addresses;
    }

    private static String decode(String hex) throws Exception {
        byte[] bytes = new byte[hex.length() / 2];
        // The kernel prints each 32-bit word in host (little-endian) byte order.
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(word * 8 + (3 - i) * 2,
                        word * 8 + (3 - i) * 2 + 2), 16);
            }
        }
        return java.net.InetAddress.getByAddress(bytes).getHostAddress();
    }
}
