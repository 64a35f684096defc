package tests.support;

import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One {@code pods/portforward} stream as the kubelet serves it (WebSocket subprotocol {@code v4.channel.k8s.io}, one
 * port): it first sends the port on the data channel (0) and on the error channel (1), two bytes little-endian after
 * the channel byte; then every binary frame carries the channel byte and the bytes, both ways. It connects to the
 * pod's port when the stream opens; refused, it reports the kubelet's error on channel 1 and closes, as a kubelet
 * does when nothing listens in the pod.
 */
final class PodPortForward extends WebSocketListener {
    private static final byte DATA = 0;
    private static final byte ERROR = 1;
    private final String pod;
    private final int containerPort;
    private final Integer hostPort;
    private volatile Socket socket;

    /** @param hostPort where the pod's container port is reached on this machine, null when its pod runs nothing */
    PodPortForward(String pod, int containerPort, Integer hostPort) {
        this.pod = pod;
        this.containerPort = containerPort;
        this.hostPort = hostPort;
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
        byte[] port = {(byte) containerPort, (byte) (containerPort >>> 8)};
        webSocket.send(framed(DATA, port, port.length));
        webSocket.send(framed(ERROR, port, port.length));
        try {
            if (hostPort == null) {
                throw new IOException("connect: connection refused");
            }
            socket = new Socket(InetAddress.getLoopbackAddress(), hostPort);
        } catch (IOException refused) {
            byte[] message = ("error forwarding port " + containerPort + " to pod " + pod
                    + ": failed to connect to localhost:" + containerPort + " inside namespace: "
                    + refused.getMessage()).getBytes(StandardCharsets.UTF_8);
            webSocket.send(framed(ERROR, message, message.length));
            webSocket.close(1000, "");
            return;
        }
        Thread pump = new Thread(() -> pumpToClient(webSocket), "port-forward " + pod + ":" + containerPort);
        pump.setDaemon(true);
        pump.start();
    }

    private void pumpToClient(WebSocket webSocket) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = socket.getInputStream()) {
            for (int read; (read = in.read(buffer)) >= 0; ) {
                webSocket.send(framed(DATA, buffer, read));
            }
        } catch (IOException closed) {
            // the pod's side or the stream closed
        }
        webSocket.close(1000, "");
    }

    @Override
    public void onMessage(WebSocket webSocket, byte[] frame) {
        Socket connected = socket;
        if (connected == null || frame.length < 1 || frame[0] != DATA) {
            return;
        }
        try {
            OutputStream out = connected.getOutputStream();
            out.write(frame, 1, frame.length - 1);
            out.flush();
        } catch (IOException closed) {
            webSocket.close(1000, "");
        }
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
        closeSocket();
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
        closeSocket();
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
        closeSocket();
    }

    private void closeSocket() {
        Socket connected = socket;
        if (connected != null) {
            try {
                connected.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private static byte[] framed(byte channel, byte[] bytes, int length) {
        byte[] frame = new byte[length + 1];
        frame[0] = channel;
        System.arraycopy(bytes, 0, frame, 1, length);
        return frame;
    }
}
