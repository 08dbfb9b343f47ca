package io.camelrsync.component;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TestTls;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.jsse.KeyManagersParameters;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consumer as a TLS daemon, configured each way Camel offers: PEM files, sslContextParameters from the
 * registry, and the context's global SSL parameters. The stock rsync-ssl client pushes to each.
 */
class RsyncConsumerTlsTest extends CamelTestSupport {
    @TempDir
    static Path work;
    static TestTls tls;
    static int pemPort;
    static int parametersPort;
    static int globalPort;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    protected RouteBuilder createRouteBuilder() throws Exception {
        RsyncDaemon.requireRsync();
        tls = TestTls.create(work);
        pemPort = freePort();
        parametersPort = freePort();
        globalPort = freePort();
        Files.createDirectories(work.resolve("inbox"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[inbox]\npath = " + work.resolve("inbox") + "\nread only = no\nuid = root\ngid = root\n");

        KeyStoreParameters keyStore = new KeyStoreParameters();
        keyStore.setResource("file:" + tls.keyStore());
        keyStore.setPassword(TestTls.KEY_STORE_PASSWORD);
        keyStore.setType("PKCS12");
        KeyManagersParameters keyManagers = new KeyManagersParameters();
        keyManagers.setKeyStore(keyStore);
        keyManagers.setKeyPassword(TestTls.KEY_STORE_PASSWORD);
        SSLContextParameters parameters = new SSLContextParameters();
        parameters.setKeyManagers(keyManagers);
        context.getRegistry().bind("tls", parameters);
        context.setSSLContextParameters(parameters);
        context.getComponent("rsync", RsyncComponent.class).setUseGlobalSslContextParameters(true);

        return new RouteBuilder() {
            @Override
            public void configure() {
                from("rsync://127.0.0.1:" + pemPort + "?config=" + conf + "&sslCertFile=" + tls.cert() + "&sslKeyFile="
                        + tls.key()).to("mock:arrived");
                from("rsync://127.0.0.1:" + parametersPort + "?config=" + conf + "&sslContextParameters=#tls")
                        .to("mock:arrived");
                from("rsync://127.0.0.1:" + globalPort + "?config=" + conf).to("mock:arrived");
            }
        };
    }

    private void pushOverTls(int port, String dir) throws Exception {
        Path src = Files.createDirectories(work.resolve("src-" + dir + "/sub"));
        Files.writeString(src.resolve("report.csv"), "pushed to " + dir + "\n");
        Process p = tls.rsyncSsl("-a", work.resolve("src-" + dir) + "/", "rsync://localhost:" + port + "/inbox/" + dir)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertSameTree(work.resolve("src-" + dir), work.resolve("inbox/" + dir));
    }

    @Test
    void rsyncSslPushesToEachWayOfConfiguringTls() throws Exception {
        MockEndpoint arrived = getMockEndpoint("mock:arrived");
        arrived.expectedMessageCount(3);
        pushOverTls(pemPort, "pem");
        pushOverTls(parametersPort, "parameters");
        pushOverTls(globalPort, "global");
        arrived.assertIsSatisfied(10_000);
        arrived.getReceivedExchanges().forEach(e -> {
            assertEquals("inbox", e.getIn().getHeader(RsyncConstants.MODULE));
            assertEquals(1, e.getIn().getHeader(RsyncConstants.FILES_TRANSFERRED, Integer.class));
        });
    }
}
