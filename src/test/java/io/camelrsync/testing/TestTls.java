package io.camelrsync.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for localhost made by the openssl binary (PEM certificate, PKCS#8 key, and the
 * pair as a PKCS#12 key store), and the stock rsync-ssl client told to trust it.
 */
public record TestTls(Path cert, Path key, Path keyStore) {
    public static final String KEY_STORE_PASSWORD = "changeit";

    public static TestTls create(Path dir) throws IOException, InterruptedException {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Path keyStore = dir.resolve("keystore.p12");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        openssl("pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(), "-out", keyStore.toString(),
                "-name", "rsyncd", "-passout", "pass:" + KEY_STORE_PASSWORD);
        return new TestTls(cert, key, keyStore);
    }

    /**
     * rsync-ssl as a user runs it: openssl s_client underneath, verifying the daemon's certificate and its name
     * (so connect to "localhost"); the port comes from the rsync:// URL through RSYNC_PORT.
     */
    public ProcessBuilder rsyncSsl(String... args) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of("rsync-ssl")));
        pb.command().addAll(List.of(args));
        pb.environment().put("RSYNC_SSL_TYPE", "openssl");
        pb.environment().put("RSYNC_SSL_CA_CERT", cert.toString());
        pb.environment().remove("RSYNC_SSL_PORT");
        return pb.redirectErrorStream(true);
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of("openssl")));
        pb.command().addAll(List.of(args));
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), "openssl " + String.join(" ", args) + ":\n" + out);
    }
}
