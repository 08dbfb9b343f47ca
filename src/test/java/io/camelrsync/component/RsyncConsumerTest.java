package io.camelrsync.component;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** from("rsync://...?config=...") in a route: a stock rsync client pushes, the route sees one exchange. */
class RsyncConsumerTest extends CamelTestSupport {
    @TempDir
    static Path work;
    static int port;

    @Override
    protected RouteBuilder createRouteBuilder() throws Exception {
        RsyncDaemon.requireRsync();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(work.resolve("inbox"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[inbox]\npath = " + work.resolve("inbox") + "\nread only = no\nuid = root\ngid = root\n");
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("rsync://127.0.0.1:" + port + "?config=" + conf).to("mock:arrived");
            }
        };
    }

    @Test
    void eachPushBecomesAnExchange() throws Exception {
        MockEndpoint arrived = getMockEndpoint("mock:arrived");
        arrived.expectedMessageCount(1);
        Path src = Files.createDirectories(work.resolve("src/sub"));
        Files.writeString(src.resolve("report.csv"), "a,b\n1,2\n");
        Files.writeString(work.resolve("src/readme.txt"), "hello");
        Process p = new ProcessBuilder("rsync", "-a", work.resolve("src") + "/",
                "rsync://127.0.0.1:" + port + "/inbox").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        arrived.assertIsSatisfied(10_000);
        Exchange e = arrived.getReceivedExchanges().get(0);
        assertEquals("inbox", e.getIn().getHeader(RsyncConstants.MODULE));
        assertEquals("127.0.0.1", e.getIn().getHeader(RsyncConstants.PEER));
        assertEquals(2, e.getIn().getHeader(RsyncConstants.FILES_TRANSFERRED, Integer.class));
        assertTrue(e.getIn().getHeader(RsyncConstants.LITERAL_BYTES, Long.class) >= 13);
        assertSameTree(work.resolve("src"), work.resolve("inbox"));
    }
}
