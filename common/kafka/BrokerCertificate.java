package common.kafka;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificate a broker presents, as a client sees it: one TLS handshake to its address, trusting only the
 * cluster's CA. What a renewal is due for is what the brokers serve, not what a Secret holds.
 */
public final class BrokerCertificate {
    /** deploy renews the node certificate when fewer days than these remain; verify warns from then on. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private BrokerCertificate() {
    }

    /** When the certificate served at {@code hostPort} expires; null when it cannot be read in time. */
    public static Instant expiry(String hostPort, String caPem, Duration timeout) {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon);
        int port = Integer.parseInt(hostPort.substring(colon + 1));
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trusting(caPem).getTrustManagers(), null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
                socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
                socket.setSoTimeout((int) timeout.toMillis());
                socket.startHandshake();
                Certificate served = socket.getSession().getPeerCertificates()[0];
                return ((X509Certificate) served).getNotAfter().toInstant();
            }
        } catch (IOException | GeneralSecurityException | RuntimeException unreadable) {
            return null;
        }
    }

    /** When a PEM certificate expires (the JDK's own parser). */
    public static Instant notAfter(String certificatePem) {
        try {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(certificatePem.getBytes(StandardCharsets.US_ASCII))))
                    .getNotAfter().toInstant();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static TrustManagerFactory trusting(String caPem) throws GeneralSecurityException, IOException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        int i = 0;
        for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(
                new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)))) {
            trusted.setCertificateEntry("ca-" + i++, certificate);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        return factory;
    }
}
