package io.camelrsync.client;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS to a daemon as rsync-ssl speaks it (ours with --ssl-cert, or a stock daemon behind stunnel): the server's
 * certificate is verified, chain and host name, against the JDK's trusted CAs or the CA file given (rsync-ssl's
 * RSYNC_SSL_CA_CERT).
 */
final class TlsClient {
    /** rsync-ssl's port. */
    static final int DEFAULT_PORT = 874;

    private TlsClient() {
    }

    /** Starts TLS on a connected socket; the handshake is done (or failed) when this returns. */
    static SSLSocket wrap(Socket plain, String host, int port, PushOptions options) throws IOException {
        SSLContext context;
        try {
            context = options.sslContext != null ? options.sslContext
                    : options.sslCaCert != null ? trusting(options.sslCaCert) : SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new RsyncException(ExitCode.SYNTAX, "rsync: cannot use " + options.sslCaCert + " as CA"
                    + " certificates: " + e.getMessage(), e);
        }
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host we connected to
        s.setSSLParameters(p);
        try {
            s.startHandshake();
        } catch (SSLException e) {
            s.close();
            throw new RsyncException(ExitCode.SOCKET_IO, "rsync: TLS with " + host + ":" + port + " failed: "
                    + e.getMessage() + " (is it a TLS daemon, and does " + (options.sslCaCert != null
                    ? options.sslCaCert : "the JDK's trust store") + " hold the CA of its certificate?)", e);
        }
        return s;
    }

    /** A context that trusts only the certificates of a PEM file. */
    static SSLContext trusting(Path pem) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + n++, c);
            }
            if (n == 0) {
                throw new GeneralSecurityException("no certificate in the file");
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
