package common.cluster.certificates;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * The certificates of a secure cluster: its own CA, and one node certificate every broker and controller presents
 * to clients and to each other (mutual TLS). Keys are EC P-256, written as PKCS#8 PEM (the only private-key form
 * Kafka's Java clients read). Pure: generates and parses, keeps nothing.
 */
public final class ClusterCertificates {
    public static final Duration CA_VALIDITY = Duration.ofDays(5 * 365);
    public static final Duration NODE_VALIDITY = Duration.ofDays(365);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A certificate with its key, both PEM. */
    public record Issued(String certificate, String privateKey) {
        /** Key first, then the certificate: the single file a Kafka PEM key store reads. */
        public String keyStore(String caCertificate) {
            return privateKey + certificate + caCertificate;
        }
    }

    private ClusterCertificates() {
    }

    /** A new self-signed cluster CA, named after the cluster it signs for. */
    public static Issued newCa(String clusterName, Instant now) {
        KeyPair keys = newKeyPair();
        X500Name subject = new X500Name("CN=" + clusterName + " cluster CA,O=kafka-k8s-setup");
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now),
                    Date.from(now.plus(CA_VALIDITY)), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            return new Issued(pem(sign(builder, keys.getPrivate())), pem(keys.getPrivate()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create the cluster CA: " + e.getMessage(), e);
        }
    }

    /**
     * A node certificate signed by {@code ca}, valid for server and client authentication, for these DNS names
     * (a leading {@code *.} covers one label) and loopback, which port-forwarded clients connect to.
     */
    public static Issued newNodeCertificate(Issued ca, List<String> dnsNames, Instant now) {
        KeyPair keys = newKeyPair();
        try {
            X509Certificate caCertificate = certificate(ca.certificate());
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            GeneralName[] names = java.util.stream.Stream.concat(
                    dnsNames.stream().map(name -> new GeneralName(GeneralName.dNSName, name)),
                    java.util.stream.Stream.of(new GeneralName(GeneralName.iPAddress, "127.0.0.1")))
                    .toArray(GeneralName[]::new);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate, serial(),
                    Date.from(now), Date.from(now.plus(NODE_VALIDITY)), new X500Name(common.cluster.ClusterCredentials.NODE_SUBJECT),
                    keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                            KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(caCertificate))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            return new Issued(pem(sign(builder, privateKey(ca.privateKey()))), pem(keys.getPrivate()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create the node certificate: " + e.getMessage(), e);
        }
    }

    /** The DNS names a PEM certificate is valid for. */
    public static List<String> dnsNames(String certificatePem) {
        try {
            var names = certificate(certificatePem).getSubjectAlternativeNames();
            return names == null ? List.of() : names.stream().filter(name -> (Integer) name.get(0) == 2)
                    .map(name -> (String) name.get(1)).toList();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a certificate: " + e.getMessage(), e);
        }
    }

    public static X509Certificate certificate(String pem) {
        try {
            return new JcaX509CertificateConverter().getCertificate(pemObject(pem, X509CertificateHolder.class,
                    "certificate"));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(String pem) {
        try {
            return new JcaPEMKeyConverter().getPrivateKey(pemObject(pem, PrivateKeyInfo.class, "PKCS#8 private key"));
        } catch (IOException e) {
            throw new IllegalArgumentException("not a PKCS#8 private key: " + e.getMessage(), e);
        }
    }

    /** The first object of a PEM text, which must be of {@code type}. */
    private static <T> T pemObject(String pem, Class<T> type, String what) {
        try (PEMParser parser = new PEMParser(new java.io.StringReader(pem))) {
            Object read = parser.readObject();
            if (!type.isInstance(read)) {
                throw new IllegalArgumentException("no PEM " + what);
            }
            return type.cast(read);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a PEM " + what + ": " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder(SIGNATURE).build(issuerKey)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator in this JVM: " + e.getMessage(), e);
        }
    }

    /** A random positive 127-bit serial number (RFC 5280: positive, at most 20 octets). */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object instanceof PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
        }
        return text.toString();
    }
}
